// Placeholder until the local platform lands: assumes the platform is already running.
export default async function setup(): Promise<void> {}
