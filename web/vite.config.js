// Vite builds the app into dist/ (served by the bridge); in development it proxies the API and
// Socket.IO to a running bridge ($PGCHAT_URL, default the dev instance on port 5000).
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

const bridge = process.env.PGCHAT_URL || 'http://localhost:5000';

export default defineConfig({
  plugins: [react()],
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: true },
  server: {
    port: 5173,
    strictPort: true,
    proxy: {
      '/api': bridge,
      '/health': bridge,
      '/socket.io': { target: bridge, ws: true },
    },
  },
  test: {
    include: ['test/**/*.test.js'],
    environment: 'node',
  },
});
