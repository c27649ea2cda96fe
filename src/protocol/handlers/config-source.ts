/**
 * Where a topic config's value comes from, as Kafka's ConfigSource numbers
 * (DescribeConfigs v1+, CreateTopics v5+): set on the topic → DYNAMIC_TOPIC_CONFIG (1), from
 * the broker's topic defaults → STATIC_BROKER_CONFIG (4), Kafka's default → DEFAULT_CONFIG (5).
 */
import type { DescribedConfig } from '../../broker/topic-config.js';

export const CONFIG_SOURCE = {
  DYNAMIC_TOPIC_CONFIG: 1,
  STATIC_BROKER_CONFIG: 4,
  DEFAULT_CONFIG: 5,
} as const;

export function configSourceOf(config: DescribedConfig): number {
  if (config.source === 'topic') return CONFIG_SOURCE.DYNAMIC_TOPIC_CONFIG;
  if (config.source === 'broker-default') return CONFIG_SOURCE.STATIC_BROKER_CONFIG;
  return CONFIG_SOURCE.DEFAULT_CONFIG;
}

/** Kafka's resource types of DescribeConfigs / AlterConfigs. */
export const RESOURCE_TYPE = { TOPIC: 2, BROKER: 4 } as const;
