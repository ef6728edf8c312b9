// App > Router > LoginPage, RegisterPage, ChatPage. The chat routes need a session; the socket
// lives exactly as long as the session does.
import { useEffect } from 'react';
import { BrowserRouter, Navigate, Route, Routes } from 'react-router-dom';
import { configureRest } from './api/rest.js';
import { connectSocket, disconnectSocket } from './api/socket.js';
import { useAuthStore } from './stores/authStore.js';
import { useChatStore } from './stores/chatStore.js';
import { tokenExpiry } from './lib/token.js';
import LoginPage from './pages/LoginPage.jsx';
import RegisterPage from './pages/RegisterPage.jsx';
import ChatPage from './pages/ChatPage.jsx';

configureRest({
  getToken: () => useAuthStore.getState().token,
  onUnauthorized: () => useAuthStore.getState().logout(),
});

function useSessionSocket() {
  const token = useAuthStore((s) => s.token);
  useEffect(() => {
    if (!token) {
      disconnectSocket();
      useChatStore.getState().reset();
      return undefined;
    }
    connectSocket(token);
    // The session ends when its token does, even if the tab stays open (timers cap at ~24 days).
    const left = Math.min(tokenExpiry(token) - Date.now(), 2 ** 31 - 1);
    const expiry = setTimeout(() => useAuthStore.getState().logout(), Math.max(left, 0));
    return () => {
      clearTimeout(expiry);
      disconnectSocket();
    };
  }, [token]);
}

function RequireSession({ children }) {
  const token = useAuthStore((s) => s.token);
  return token ? children : <Navigate to="/login" replace />;
}

function GuestOnly({ children }) {
  const token = useAuthStore((s) => s.token);
  return token ? <Navigate to="/" replace /> : children;
}

export default function App() {
  useSessionSocket();
  return (
    <BrowserRouter future={{ v7_startTransition: true, v7_relativeSplatPath: true }}>
      <Routes>
        <Route path="/login" element={<GuestOnly><LoginPage /></GuestOnly>} />
        <Route path="/register" element={<GuestOnly><RegisterPage /></GuestOnly>} />
        <Route path="/" element={<RequireSession><ChatPage /></RequireSession>} />
        <Route path="/c/:conversationId" element={<RequireSession><ChatPage /></RequireSession>} />
        <Route path="*" element={<Navigate to="/" replace />} />
      </Routes>
    </BrowserRouter>
  );
}
