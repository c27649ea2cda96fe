/**
 * The module every pool worker loads (piscina calls its named exports by task name). One task
 * per file under tasks/; this file only lists them. Runs on worker threads only.
 */
export { summarize } from './tasks/summarize.js';
