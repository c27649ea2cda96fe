/**
 * The child of kill-during-truncate.test.ts: opens the partition in argv[2] (recovering it
 * after the previous kill), then appends batches and truncates its tail at random, becoming
 * leader of a new epoch after each truncation, until it is killed. Before each step it writes
 * what it is about to do to stdout (synchronous on a pipe), after it what came out:
 *   A <base> <v1,v2,...>   about to append a batch at <base>     a <lastOffset>   appended
 *   T <offset>             about to truncate to <offset>          t <end>          truncated
 *   F <offset>             about to empty the log, restart at it  f                restarted
 *   E <epoch>              leader of <epoch> from the log end (written before the next A)
 * `ready <logEndOffset> <leaderEpoch>` once open.
 */
import { PartitionLog } from '../../src/storage/partition-log.js';
import { Partition } from '../../src/partition/partition.js';
import { encodeRecordBatch } from '../../src/records/encode-record-batch.js';
import { Random } from '../helpers/random.js';

const [dir, roundText, seedText] = process.argv.slice(2);
const round = Number(roundText);
const rng = new Random(Number(seedText));
const log = await PartitionLog.open(dir!, { config: { segmentBytes: 2048, indexIntervalBytes: 128, preallocateBytes: 4096 } });
const partition = new Partition('t', 0, log, { onWarning: () => {} });
const say = (line: string) => process.stdout.write(line + '\n');
let epoch = partition.leaderEpoch + 1;
partition.becomeLeader(epoch);
say(`ready ${partition.logEndOffset} ${epoch}`);
let counter = 0;
for (;;) {
  for (let i = 0; i < 10; i++) {
    const dice = rng.int(0, 99);
    if (dice < 3) {
      // A follower below its leader's log start: empty, restart further on.
      const target = partition.logEndOffset + rng.int(1, 50);
      say(`F ${target}`);
      partition.truncateFullyAndStartAt(target);
      say('f');
    } else if (dice < 85 || partition.logEndOffset === partition.logStartOffset) {
      const count = rng.int(1, 4);
      const values = Array.from({ length: count }, () => `r${round}.${counter++}`);
      say(`A ${partition.logEndOffset} ${values.join(',')}`);
      const { result } = partition.produceNow(encodeRecordBatch(values.map((value) => ({ value: value.padEnd(rng.int(10, 300), '.') }))), 0);
      say(`a ${result.lastOffset}`);
    } else {
      const target = rng.int(Math.max(partition.logStartOffset, partition.logEndOffset - 40), partition.logEndOffset);
      say(`T ${target}`);
      const end = partition.truncateTo(target);
      say(`t ${end}`);
      epoch += 1;
      partition.becomeLeader(epoch);
      say(`E ${epoch}`);
    }
  }
  await new Promise((resolve) => setImmediate(resolve));
}
