/**
 * The one function a pool worker exports to piscina (`dispatch`): it runs the task named in
 * the message. One handler name keeps a lane's tasks in submission order when several are
 * handed to the thread ahead (pool.ts, DEFAULT_TASKS_IN_FLIGHT): piscina loads a handler per
 * name asynchronously on its first use, so a task under a first-used name could run after
 * later tasks under a name already loaded. Runs on worker threads only.
 */

/** What WorkerPool.run sends: the task's name and its input. */
export interface DispatchedTask {
  task: string;
  input: unknown;
}

// Tasks take their own input types; the table is indexed by name from a message.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Task = (input: any) => unknown;

/** The dispatch function over a table of tasks (a worker module exports it as `dispatch`). */
export function dispatcher(tasks: Record<string, Task>): (message: DispatchedTask) => unknown {
  return (message) => {
    const task = Object.hasOwn(tasks, message.task) ? tasks[message.task] : undefined;
    if (!task) throw new Error(`no worker task named ${message.task}`);
    return task(message.input);
  };
}
