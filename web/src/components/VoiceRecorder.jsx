// The microphone button: press to record a voice note with the browser's MediaRecorder, press
// again to send it (or the cross to throw it away). The recording goes up as a WebM Opus file.
import { useEffect, useRef, useState } from 'react';
import Icon from './Icon.jsx';

function pickType() {
  for (const type of ['audio/webm;codecs=opus', 'audio/webm', 'audio/ogg;codecs=opus', 'audio/mp4']) {
    if (window.MediaRecorder && MediaRecorder.isTypeSupported(type)) return type;
  }
  return '';
}

export default function VoiceRecorder({ onRecorded }) {
  const [recording, setRecording] = useState(false);
  const [seconds, setSeconds] = useState(0);
  const [error, setError] = useState('');
  const state = useRef({ recorder: null, stream: null, chunks: [], keep: false, timer: null });

  useEffect(() => () => stop(false), []); // eslint-disable-line react-hooks/exhaustive-deps

  async function start() {
    setError('');
    try {
      const stream = await navigator.mediaDevices.getUserMedia({ audio: true });
      const type = pickType();
      const recorder = new MediaRecorder(stream, type ? { mimeType: type } : undefined);
      const s = state.current;
      Object.assign(s, { recorder, stream, chunks: [], keep: false });
      recorder.ondataavailable = (event) => { if (event.data.size) s.chunks.push(event.data); };
      recorder.onstop = () => {
        stream.getTracks().forEach((t) => t.stop());
        if (!s.keep || s.chunks.length === 0) return;
        const mime = (recorder.mimeType || type || 'audio/webm').split(';')[0];
        const extension = mime.includes('ogg') ? 'ogg' : mime.includes('mp4') ? 'm4a' : 'webm';
        onRecorded(new File(s.chunks, `voice-message.${extension}`, { type: mime }));
      };
      recorder.start(250);
      setSeconds(0);
      s.timer = setInterval(() => setSeconds((n) => n + 1), 1000);
      setRecording(true);
    } catch (e) {
      setError(e.name === 'NotAllowedError' ? 'Microphone access was refused.' : 'No microphone to record with.');
    }
  }

  function stop(keep) {
    const s = state.current;
    clearInterval(s.timer);
    s.keep = keep;
    if (s.recorder && s.recorder.state !== 'inactive') s.recorder.stop();
    s.recorder = null;
    setRecording(false);
  }

  if (recording) {
    return (
      <div className="voice-recording" role="status">
        <button type="button" className="icon-button small" onClick={() => stop(false)} aria-label="Discard voice message"><Icon name="close" size={16} /></button>
        <span className="recording-dot" aria-hidden="true" />
        <span className="recording-time">{`${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, '0')}`}</span>
        <button type="button" className="send-button" onClick={() => stop(true)} aria-label="Send voice message"><Icon name="send" size={20} /></button>
      </div>
    );
  }
  return (
    <>
      {error && <span className="composer-error" role="alert">{error}</span>}
      <button type="button" className="send-button" onClick={start} aria-label="Record voice message"><Icon name="mic" size={20} /></button>
    </>
  );
}
