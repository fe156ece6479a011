import { Box, Text } from 'ink';
import { useCallback, useRef, useState, useSyncExternalStore } from 'react';
import type { DashboardStore } from './dashboard-store.js';
import {
  filterLive,
  findLimit,
  selectHeader,
  selectLimits,
  selectLive,
  selectRoutes,
} from './dashboard-view.js';
import { EventsPane } from './EventsPane.js';
import { selectGrpcMethods } from './grpc-calls.js';
import { GrpcCallsTable } from './GrpcCallsTable.js';
import { Header, headerLines } from './Header.js';
import { HelpScreen } from './HelpScreen.js';
import { LimitsTable } from './LimitsTable.js';
import { LiveRequests } from './LiveRequests.js';
import { useColor } from './palette.js';
import { planLayout } from './plan-layout.js';
import { RequestDetail, detailLength } from './RequestDetail.js';
import { RoutesTable } from './RoutesTable.js';
import { footerLabels } from './shortcuts.js';
import { initialUi, useDashboardKeys, type DashboardActions, type UiState } from './use-dashboard-keys.js';
import { useTerminalSize } from './use-terminal-size.js';

export interface DashboardProps {
  readonly store: DashboardStore;
  readonly actions: DashboardActions;
  readonly now: () => number;
  readonly onCrash: (error: unknown) => void;
}

const NOTICE_MS = 3000;
/** gRPC methods shown (most recently called first); the table takes its title and header too. */
const GRPC_ROWS = 4;

export function Dashboard({ store, actions, now, onCrash }: DashboardProps) {
  useSyncExternalStore(store.subscribe, store.getVersion);
  const color = useColor();
  const { columns, rows } = useTerminalSize();
  const [ui, setUiState] = useState<UiState>(initialUi);
  const uiRef = useRef(ui);
  const setUi = useCallback((next: UiState) => {
    uiRef.current = next;
    setUiState(next);
  }, []);

  const { state } = store;
  const time = now();
  const header = selectHeader(state, time);
  const limits = selectLimits(state, time);
  const visible = ui.frozen ? filterLive(ui.frozen, ui.filter) : selectLive(state, ui.filter);
  const lines = headerLines(header);
  const bodyRows = Math.max(3, rows - 2 - lines);
  const detailRoute =
    ui.detail?.request.routeId === undefined
      ? undefined
      : state.routes.get(ui.detail.request.routeId)?.summary;
  const detailLimit = ui.detail ? findLimit(state, ui.detail.request, time) : undefined;
  // What c and R added to the open request (its curl command, the replay's answer).
  const detailExtras = ui.inspect && ui.inspect.seq === ui.detail?.seq ? ui.inspect.extras : undefined;
  const detailMaxScroll = ui.detail
    ? Math.max(0, detailLength(ui.detail, detailRoute, detailLimit, time, detailExtras) - (bodyRows - 1))
    : 0;
  const keysOn = useDashboardKeys(() => uiRef.current, setUi, {
    store,
    actions,
    visible,
    now,
    onCrash,
    detailMaxScroll,
  });

  // The gRPC table, once there are gRPC calls, takes its lines from the rest of the layout.
  const grpcLines = state.grpcMethods.size > 0 ? 2 + Math.min(state.grpcMethods.size, GRPC_ROWS) : 0;
  const plan = planLayout({
    rows: rows - grpcLines,
    headerLines: lines,
    routes: state.routes.size,
    limits: limits.length,
    events: state.events.length,
  });
  const routeShown = state.routes.size > plan.routeRows ? Math.max(0, plan.routeRows - 1) : plan.routeRows;
  const selectedIndex = visible.findIndex((entry) => entry.seq === ui.selectedSeq);
  const start = selectedIndex >= plan.liveRows ? selectedIndex - plan.liveRows + 1 : 0;

  let body;
  if (ui.mode === 'help') {
    body = <HelpScreen />;
  } else if (ui.mode === 'detail' && ui.detail) {
    body = (
      <RequestDetail
        entry={ui.detail}
        route={detailRoute}
        limit={detailLimit}
        now={time}
        rows={bodyRows}
        scroll={ui.detailScroll}
        extras={detailExtras}
      />
    );
  } else {
    body = (
      <>
        <RoutesTable rows={selectRoutes(state, time, routeShown)} total={state.routes.size} width={columns} />
        <LiveRequests
          entries={visible.slice(start, start + plan.liveRows)}
          matching={visible.length}
          sampledPerSecond={
            state.live.lastSkippedAt !== undefined && time - state.live.lastSkippedAt < 2_000
              ? state.caps.liveSamplePer100ms * 10
              : undefined
          }
          selectedSeq={ui.selectedSeq}
          paused={ui.frozen !== undefined}
          filter={ui.filter}
          width={columns}
        />
        {state.grpcMethods.size > 0 ? (
          <GrpcCallsTable rows={selectGrpcMethods(state.grpcMethods, GRPC_ROWS)} width={columns} />
        ) : null}
        {plan.limitRows > 0 ? <LimitsTable rows={limits.slice(0, plan.limitRows)} width={columns} /> : null}
        {plan.eventRows > 0 ? <EventsPane events={state.events.slice(-plan.eventRows)} /> : null}
      </>
    );
  }

  return (
    <Box flexDirection="column" width={columns}>
      <Header view={header} width={columns} />
      {body}
      <Footer ui={ui} keysOn={keysOn} time={time} color={color} />
    </Box>
  );
}

interface FooterProps {
  readonly ui: UiState;
  readonly keysOn: boolean;
  readonly time: number;
  readonly color: (color: string) => string | undefined;
}

function Footer({ ui, keysOn, time, color }: FooterProps) {
  if (ui.quitting) {
    return <Text color={color('yellow')}>quitting: in-flight requests finish first…</Text>;
  }
  if (ui.mode === 'filter') {
    return (
      <Text wrap="truncate-end">
        <Text color={color('cyan')}>/ filter: </Text>
        {ui.filter}█<Text color={color('gray')}> Enter apply · Esc clear</Text>
      </Text>
    );
  }
  if (!keysOn) return <Text color={color('gray')}>keys are off: stdin is not a terminal</Text>;
  const notice = ui.notice && time - ui.notice.at < NOTICE_MS ? ui.notice.text : undefined;
  return (
    <Text wrap="truncate-end" color={color('gray')}>
      {footerLabels().join(' · ')}
      {notice ? <Text color={color('cyan')}> · {notice}</Text> : null}
    </Text>
  );
}
