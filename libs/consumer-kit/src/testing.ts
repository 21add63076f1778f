// @fanout/consumer-kit/testing: helpers for the unit tests of consumer services' mappings.
// A door of its own, so production code importing '@fanout/consumer-kit' never sees them.
export { COORDINATOR_COMMAND_METADATA, ParticipantTestHarness } from './participant-test-harness';
export type { PublishedReply, RecordedCall } from './participant-test-harness';
