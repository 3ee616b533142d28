import type { DeviceHistoryItem, HistoryVersion } from '@edgefleet/contracts';
import { useState } from 'react';
import { Link } from 'react-router';
import { useDeviceHistory } from '../api/fleet';
import { describeHistoryItem, versionHref, versionLabel } from '../lib/device-history';
import { ListStates } from './list-states';
import { Pager } from './pagination';
import { RelativeTime } from './time';

const PAGE_SIZE = 20;

/** The device's timeline, newest first: its own events and its rollout transitions. */
export function DeviceHistoryCard({ deviceId }: { deviceId: string }) {
  const [offset, setOffset] = useState(0);
  const history = useDeviceHistory(deviceId, { limit: PAGE_SIZE, offset });
  return (
    <section className="card" aria-label="history">
      <h3>History</h3>
      <ListStates query={history} what="history" empty="Nothing recorded yet.">
        {(page) => (
          <>
            <ol className="timeline">
              {page.items.map((item) => (
                <HistoryEntry key={item.id} item={item} />
              ))}
            </ol>
            {page.total > PAGE_SIZE && <Pager page={page} limit={PAGE_SIZE} onOffset={setOffset} />}
          </>
        )}
      </ListStates>
    </section>
  );
}

const VersionLink = ({ v }: { v: HistoryVersion }) => <Link to={versionHref(v)}>{versionLabel(v)}</Link>;

function HistoryEntry({ item }: { item: DeviceHistoryItem }) {
  const line = describeHistoryItem(item);
  return (
    <li className={`timeline-item tone-${line.tone}`} data-kind={item.kind}>
      <span className="timeline-icon" aria-hidden="true">
        {line.icon}
      </span>
      <div>
        <div>
          <strong>{line.title}</strong>
          {line.version && (
            <>
              {' '}
              <VersionLink v={line.version} />
            </>
          )}
          {line.fromLabel && line.fromVersion && (
            <span className="muted">
              {' '}
              {line.fromLabel} <VersionLink v={line.fromVersion} />
            </span>
          )}
          {line.rolloutId && (
            <>
              {' '}
              · <Link to={`/rollouts/${line.rolloutId}`}>rollout</Link>
            </>
          )}
        </div>
        {line.detail && <div className="small">{line.detail}</div>}
        <div className="muted small">
          <RelativeTime iso={item.at} />
          {item.actor && <> · {item.actor}</>}
        </div>
      </div>
    </li>
  );
}
