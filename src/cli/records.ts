/**
 * `skein records delete <topic> --before <offset|end>`: DeleteRecords over the protocol (as
 * kafka-delete-records.sh), for every partition of the topic or the `--partition`s given.
 * Prints each partition's new low watermark (log start offset). Needs no native addon.
 */
import { KAFKA_ERRORS } from '../protocol/error-codes.js';
import { decodeDeleteRecordsResponse, encodeDeleteRecordsRequest } from '../protocol/messages/delete-records.js';
import { CliFailure, EXIT } from './exit-codes.js';
import { API, partitionsOf, requireTopic } from './kafka-requests.js';
import type { Console } from './serve.js';
import { errorText, exitFor, withConnection } from './session.js';

export function deleteRecords(bootstrap: string, topic: string, before: number, partitions: number[] | undefined, json: boolean, io: Console): Promise<number> {
  return withConnection(bootstrap, io, async (c) => {
    const all = partitionsOf(await requireTopic(c, topic));
    const chosen = partitions ?? all;
    for (const p of chosen) if (!all.includes(p)) throw new CliFailure(`topic ${topic} has no partition ${p}`, EXIT.NOT_FOUND);
    const { key, version } = API.deleteRecords;
    const answer = await c.request(
      key,
      version,
      (w) => encodeDeleteRecordsRequest(w, version, { topics: [{ name: topic, partitions: chosen.map((partitionIndex) => ({ partitionIndex, offset: before })) }], timeoutMs: 30_000 }),
      decodeDeleteRecordsResponse,
    );
    const results = answer.topics[0]?.partitions ?? [];
    let code: number = EXIT.OK;
    for (const r of results) {
      if (r.errorCode !== KAFKA_ERRORS.NONE) {
        io.err(`skein: cannot delete records of ${topic}-${r.partitionIndex}: ${errorText(r.errorCode)}`);
        if (code === EXIT.OK) code = r.errorCode === KAFKA_ERRORS.OFFSET_OUT_OF_RANGE ? EXIT.USAGE : exitFor(r.errorCode);
      } else if (!json) io.out(`${topic}\t${r.partitionIndex}\tlow watermark ${r.lowWatermark}`);
    }
    if (json) io.out(JSON.stringify(results.map((r) => ({ partition: r.partitionIndex, lowWatermark: r.lowWatermark, error: r.errorCode === 0 ? null : errorText(r.errorCode) }))));
    return code;
  });
}
