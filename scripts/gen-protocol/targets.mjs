// What the generator produces. Each API is served (and its codecs generated) for the
// versions below: from the lowest version Kafka 3.9 serves (0 everywhere: Kafka 4.0 dropped
// Produce 0-2, Fetch 0-3, ListOffsets 0, OffsetCommit 0-1, OffsetFetch 0 and more (KIP-896),
// but clients in the field still send them, and librdkafka's feature gates need them:
// MsgVer1 = Produce ∋ 2 and Fetch ∋ 2, MsgVer2 = Produce ∋ 3 and Fetch ∋ 4, gzip/snappy/lz4
// = Produce ∋ 0) up to the "Advertise" column of KAFKA-PROTOCOL.md §3, with Produce up to
// its first flexible version 9. Metadata stays ≤ 9 together with Fetch ≤ 12: platformatic
// keys topics by Metadata's topicId and writes it into Fetch's topic field, so Metadata 10+
// would need Fetch 13+ with real topic UUIDs.
//
// `file` is the output under src/protocol/messages/ (kebab-case of the API name).

export const APIS = [
  { name: 'Produce', min: 0, max: 9 },
  { name: 'Fetch', min: 0, max: 12 },
  { name: 'ListOffsets', min: 0, max: 5 },
  { name: 'Metadata', min: 0, max: 9 },
  { name: 'OffsetCommit', min: 0, max: 8 },
  { name: 'OffsetFetch', min: 0, max: 8 },
  { name: 'FindCoordinator', min: 0, max: 4 },
  { name: 'JoinGroup', min: 0, max: 6 },
  { name: 'Heartbeat', min: 0, max: 4 },
  { name: 'LeaveGroup', min: 0, max: 4 },
  { name: 'SyncGroup', min: 0, max: 4 },
  { name: 'DescribeGroups', min: 0, max: 5 },
  { name: 'ListGroups', min: 0, max: 4 },
  { name: 'SaslHandshake', min: 0, max: 1 },
  { name: 'ApiVersions', min: 0, max: 3 },
  { name: 'CreateTopics', min: 0, max: 7 },
  { name: 'DeleteTopics', min: 0, max: 6 },
  { name: 'InitProducerId', min: 0, max: 4 },
  // Transactions (KAFKA-PROTOCOL.md §5); capped at 3: platformatic switches to the
  // broker-side batched AddPartitionsToTxn v4+ when it is advertised.
  { name: 'AddPartitionsToTxn', min: 0, max: 3 },
  { name: 'AddOffsetsToTxn', min: 0, max: 3 },
  { name: 'EndTxn', min: 0, max: 3 },
  { name: 'TxnOffsetCommit', min: 0, max: 3 },
  { name: 'DescribeConfigs', min: 0, max: 4 },
  { name: 'AlterConfigs', min: 0, max: 2 },
  { name: 'SaslAuthenticate', min: 0, max: 2 },
  { name: 'CreatePartitions', min: 0, max: 3 },
  { name: 'DeleteGroups', min: 0, max: 2 },
  { name: 'DeleteRecords', min: 0, max: 2 },
  // Leader epochs (KIP-101/279/320): followers find where their log diverged, librdkafka
  // validates positions after a leader change. All of Kafka 3.9's versions.
  { name: 'OffsetForLeaderEpoch', min: 0, max: 4 },
  // Cluster administration (docs/cluster.md): preferred leader election and reassignment (KIP-455).
  { name: 'ElectLeaders', min: 0, max: 2 },
  { name: 'AlterPartitionReassignments', min: 0, max: 0 },
  { name: 'ListPartitionReassignments', min: 0, max: 0 },
];

/**
 * Messages generated for the tests only, into test/protocol/generated/: the real header
 * specs (an oracle for the hand-written request-header.ts and response-header.ts) and a
 * spec written for the generator's own tests, using what the served APIs do not
 * (float64, uint16, uint32, commonStructs, nullable structs, field-level flexibleVersions,
 * tagged fields of every kind). `spec` is looked up in the schemata folder, or with
 * `local` in test/protocol/specs/.
 */
export const TEST_MESSAGES = [
  { spec: 'RequestHeader', min: 0, max: 2, file: 'request-header-spec.ts' },
  { spec: 'ResponseHeader', min: 0, max: 1, file: 'response-header-spec.ts' },
  { spec: 'CodecFeaturesMessage', min: 0, max: 4, file: 'codec-features-message.ts', local: true },
];

export const kebabCase = (name) => name.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase();
