/**
 * The sandbox bank on autopilot. Its steps are a sandbox-only domain command
 * (src/domain/funding/autopilot.commands.ts), like the simulate* mutations; this module is what the
 * job list (src/jobs/tasks.ts) and tests name.
 */
export {
  autopilotDraw, autopilotFails, autopilotReturns, runAutopilot, type AutopilotSettings, type DrawKind,
} from '../domain/funding/autopilot.commands.ts';
