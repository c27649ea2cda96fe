/**
 * Which broker coordinates a consumer group, asked the way clients ask (FindCoordinator v1 over
 * one connection to `bootstrap`, with the project's own protocol codecs), so a test can kill
 * exactly that broker and then see the answer move.
 */
import { KafkaConnection } from '../../../src/cli/kafka-connection.js';
import { decodeFindCoordinatorResponse, encodeFindCoordinatorRequest } from '../../../src/protocol/messages/find-coordinator.js';

export async function findCoordinator(bootstrap: string, groupId: string): Promise<{ nodeId: number; errorCode: number }> {
  const c = await KafkaConnection.open(bootstrap);
  try {
    const answer = await c.request(10, 1, (w) => encodeFindCoordinatorRequest(w, 1, { key: groupId, keyType: 0 }), decodeFindCoordinatorResponse);
    return { nodeId: answer.nodeId ?? -1, errorCode: answer.errorCode ?? 0 };
  } finally {
    c.close();
  }
}
