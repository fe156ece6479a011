import { createContext, useContext } from 'react';

/**
 * Colours pass through here so NO_COLOR (https://no-color.org) turns every one of them off:
 * chalk, which Ink draws with, only reads FORCE_COLOR and the stream.
 */
export function colorsEnabled(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.NO_COLOR === undefined || env.NO_COLOR === '';
}

export const ColorsContext = createContext(true);

/** Returns the colour, or undefined when colours are off. */
export function useColor(): (color: string) => string | undefined {
  const enabled = useContext(ColorsContext);
  return (color) => (enabled ? color : undefined);
}

export function statusColor(status: number): string {
  if (status >= 500) return 'red';
  if (status >= 400) return 'yellow';
  if (status >= 300) return 'cyan';
  return 'green';
}
