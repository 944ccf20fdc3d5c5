import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { request, session, whenSignedOut } from './api.ts';
import { CsvUpload } from './csv-upload.tsx';
import { ConnectionBadge, EventFeed } from './event-feed.tsx';
import { graphql } from './generated/index.ts';
import type { ViewerQuery } from './generated/graphql.ts';
import { LiveStream } from './live.ts';
import { RunPage } from './run-page.tsx';
import { RunsList } from './runs-list.tsx';
import { SignIn } from './sign-in.tsx';
import './styles.css';

const Viewer = graphql(`query Viewer { viewer { id email name roles scaEnrolled buyer { name } } }`);

/** `#/` is the runs list, `#/runs/<id>` one run: the address bar keeps the place across reloads. */
const runIdOf = (hash: string) => /^#\/runs\/(.+)$/.exec(hash)?.[1];
function useRoute(): [string | undefined, (runId?: string) => void] {
  const [hash, setHash] = useState(location.hash);
  useEffect(() => {
    const onChange = () => setHash(location.hash);
    addEventListener('hashchange', onChange);
    return () => removeEventListener('hashchange', onChange);
  }, []);
  const runId = runIdOf(hash);
  return [runId && decodeURIComponent(runId), (id) => {
    location.hash = id ? `#/runs/${encodeURIComponent(id)}` : '#/';
  }];
}

function App() {
  const [signedIn, setSignedIn] = useState(session.token !== null);
  const signOut = () => {
    session.token = null;
    setSignedIn(false);
  };
  useEffect(() => whenSignedOut(signOut), []);
  return signedIn ? <Dashboard onSignOut={signOut} /> : <SignIn onSignedIn={() => setSignedIn(true)} />;
}

function Dashboard({ onSignOut }: { onSignOut: () => void }) {
  const [viewer, setViewer] = useState<ViewerQuery['viewer'] | null>(null);
  const [live, setLive] = useState<LiveStream | null>(null);
  const [failed, setFailed] = useState<string | null>(null);
  const [attempt, setAttempt] = useState(0);
  const [runId, go] = useRoute();

  // The log's tail first, then the pages' own snapshots: a change between the two is replayed, never lost.
  useEffect(() => {
    const stream = new LiveStream(onSignOut);
    let stopped = false;
    setFailed(null);
    request(Viewer).then(({ viewer: v }) => setViewer(v)).catch(() => {});
    stream.start().then(() => !stopped && setLive(stream), (e: Error) => !stopped && setFailed(e.message));
    return () => {
      stopped = true;
      stream.stop();
    };
  }, [attempt]);

  return (
    <div class="layout">
      <header class="top">
        <h1>Payment runs{viewer && <small> · {viewer.buyer.name}</small>}</h1>
        {live && <ConnectionBadge live={live} />}
        {viewer && <span class="who">{viewer.email} ({viewer.roles.map((r) => r.toLowerCase()).join(', ')})</span>}
        <button type="button" onClick={onSignOut}>Sign out</button>
      </header>
      {failed ? (
        <main><p role="alert" class="error">{failed}</p><button type="button" onClick={() => setAttempt(attempt + 1)}>Try again</button></main>
      ) : !live ? <main aria-busy="true"><p>Loading…</p></main> : (
        <>
          <main>
            {runId ? <RunPage key={runId} id={runId} live={live} onBack={() => go()} /> : (
              <>
                {viewer?.roles.includes('CREATOR') && <CsvUpload onCreated={(id) => go(id)} />}
                <RunsList live={live} onOpen={go} />
              </>
            )}
          </main>
          <EventFeed live={live} onOpen={go} />
        </>
      )}
    </div>
  );
}

render(<App />, document.getElementById('app')!);
