import { describe, expect, it } from 'vitest';
import { findJava, parseJavaMajor, requireTool } from './prerequisites';

describe('prerequisites', () => {
  it.each([
    ['openjdk version "17.0.15" 2025-04-15', 17],
    ['openjdk version "25" 2025-09-16', 25],
    ['java version "1.8.0_412"', 8],
  ])('reads the Java major version from %s', (text, major) => {
    expect(parseJavaMajor(text)).toBe(major);
  });

  it('a missing build tool names what to install', () => {
    expect(() => requireTool('go', 'jaeger', { PATH: '/nonexistent' })).toThrow(/needs `go`/);
  });

  it('a java that is too old is refused with the version it needs', () => {
    expect(() => findJava('registry', 99, undefined, { PATH: '/nonexistent' })).toThrow(
      /Java 99 or newer/,
    );
  });
});
