export async function validateOverlays(): Promise<{ ok: boolean }> {
  return { ok: false };
}
