import { useEffect, useRef, useState } from 'preact/hooks';

/** Live updates by polling, every POLL_MS while the tab is visible (why polling: docs/ARCHITECTURE.md, Dashboard). */
export const POLL_MS = 2000;

type Listener = () => void;
const live = { lastOk: 0, failing: false, listeners: new Set<Listener>() };

function report(ok: boolean): void {
  if (ok) live.lastOk = Date.now();
  live.failing = !ok;
  for (const l of live.listeners) l();
}

/** The header's live indicator: when data last arrived, and whether the last poll failed. */
export function useLiveState(): { lastOk: number; failing: boolean } {
  const [, setTick] = useState(0);
  useEffect(() => {
    const l = () => setTick((n) => n + 1);
    live.listeners.add(l);
    const timer = setInterval(l, 1000);
    return () => {
      live.listeners.delete(l);
      clearInterval(timer);
    };
  }, []);
  return { lastOk: live.lastOk, failing: live.failing };
}

export interface Polled<T> {
  data: T | undefined;
  error: Error | undefined;
}

/** Loads now and again every POLL_MS; `key` names what is loaded (a change starts over). */
export function usePoll<T>(load: () => Promise<T>, key: string, intervalMs = POLL_MS): Polled<T> {
  const [state, setState] = useState<Polled<T> & { key: string }>({ data: undefined, error: undefined, key });
  const loadRef = useRef(load);
  loadRef.current = load;
  useEffect(() => {
    let stopped = false;
    let inFlight = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const tick = async () => {
      clearTimeout(timer);
      if (stopped || inFlight) return;
      if (!document.hidden) {
        inFlight = true;
        try {
          const data = await loadRef.current();
          if (!stopped) setState({ data, error: undefined, key });
          report(true);
        } catch (err) {
          if (!stopped) setState((s) => ({ data: s.key === key ? s.data : undefined, error: err as Error, key }));
          report(false);
        } finally {
          inFlight = false;
        }
      }
      if (!stopped) timer = setTimeout(() => void tick(), intervalMs);
    };
    const onVisible = () => {
      if (!document.hidden) void tick();
    };
    document.addEventListener('visibilitychange', onVisible);
    void tick();
    return () => {
      stopped = true;
      clearTimeout(timer);
      document.removeEventListener('visibilitychange', onVisible);
    };
  }, [key, intervalMs]);
  // Data of another key is never shown, even for the render before the effect runs.
  return state.key === key ? state : { data: undefined, error: undefined };
}
