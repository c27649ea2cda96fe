/**
 * DescribeConfigs (key 32, v0–4): a topic's configs (every one Skein knows, with the
 * effective value and where it comes from), optionally narrowed to configurationKeys; the
 * broker resource lists what a client may want to know and cannot change (read-only). Other
 * resource types are INVALID_REQUEST. No synonyms, no documentation, config type UNKNOWN (0).
 */
import { SkeinError } from '../../errors.js';
import { KAFKA_ERRORS, toKafkaErrorCode } from '../error-codes.js';
import {
  decodeDescribeConfigsRequest,
  encodeDescribeConfigsResponse,
  type DescribeConfigsRequest,
  type DescribeConfigsResource,
  type DescribeConfigsResourceResult,
  type DescribeConfigsResponse,
} from '../messages/describe-configs.js';
import { CONFIG_SOURCE, RESOURCE_TYPE, configSourceOf } from './config-source.js';
import { defineHandler, errorMessageOf, type RequestContext } from './handler.js';

export const describeConfigsHandler = defineHandler<DescribeConfigsRequest, DescribeConfigsResponse>({
  apiKey: 32,
  name: 'DescribeConfigs',
  minVersion: 0,
  maxVersion: 4,
  decode: decodeDescribeConfigsRequest,
  encode: encodeDescribeConfigsResponse,
  handle(request, ctx) {
    return {
      throttleTimeMs: 0,
      results: request.resources.map((resource) => {
        try {
          const wanted = resource.configurationKeys === null || resource.configurationKeys.length === 0 ? null : new Set(resource.configurationKeys);
          const configs = configsOf(resource, ctx, ctx.apiVersion >= 1 && request.includeSynonyms === true).filter((c) => wanted === null || wanted.has(c.name));
          return { errorCode: KAFKA_ERRORS.NONE, errorMessage: null, resourceType: resource.resourceType, resourceName: resource.resourceName, configs };
        } catch (error) {
          return { errorCode: toKafkaErrorCode(error), errorMessage: errorMessageOf(error), resourceType: resource.resourceType, resourceName: resource.resourceName, configs: [] };
        }
      }),
    };
  },
  errorResponse(request, errorCode, _ctx, error) {
    return {
      throttleTimeMs: 0,
      results: request.resources.map((r) => ({ errorCode, errorMessage: errorMessageOf(error), resourceType: r.resourceType, resourceName: r.resourceName, configs: [] })),
    };
  },
});

function configsOf(resource: DescribeConfigsResource, ctx: RequestContext, includeSynonyms: boolean): DescribeConfigsResourceResult[] {
  const { broker } = ctx;
  if (resource.resourceType === RESOURCE_TYPE.TOPIC) {
    return broker.describeConfigs(resource.resourceName).map((c) => {
      // Synonyms (v1+, when asked), most specific first as Kafka lists them: the topic's own
      // value, then the broker config it falls back to, then Kafka's default.
      const synonyms: Array<{ name: string; value: string | null; source: number }> = [];
      if (includeSynonyms) {
        if (!c.isDefault) synonyms.push({ name: c.name, value: c.value, source: CONFIG_SOURCE.DYNAMIC_TOPIC_CONFIG });
        const source = c.defaultFromBroker ? CONFIG_SOURCE.STATIC_BROKER_CONFIG : CONFIG_SOURCE.DEFAULT_CONFIG;
        synonyms.push({ name: c.brokerSynonym ?? c.name, value: c.defaultValue, source });
      }
      return {
        name: c.name,
        value: c.value,
        readOnly: c.readOnly,
        // v0 only, and not ignorable: later versions say it with configSource.
        isDefault: ctx.apiVersion === 0 ? c.isDefault : false,
        configSource: configSourceOf(c),
        isSensitive: c.sensitive,
        synonyms,
        configType: 0,
        documentation: null,
      };
    });
  }
  if (resource.resourceType === RESOURCE_TYPE.BROKER) {
    if (resource.resourceName !== '' && resource.resourceName !== String(broker.nodeId)) {
      throw new SkeinError('SKEIN_INVALID_REQUEST', `no broker ${resource.resourceName} (this is broker ${broker.nodeId})`);
    }
    return broker.describeBrokerConfigs().map((c) => ({
      name: c.name,
      value: c.value,
      readOnly: true,
      isDefault: ctx.apiVersion === 0 ? c.isDefault : false,
      configSource: c.isDefault ? CONFIG_SOURCE.DEFAULT_CONFIG : CONFIG_SOURCE.STATIC_BROKER_CONFIG,
      isSensitive: false,
      synonyms: includeSynonyms ? [{ name: c.name, value: c.value, source: c.isDefault ? CONFIG_SOURCE.DEFAULT_CONFIG : CONFIG_SOURCE.STATIC_BROKER_CONFIG }] : [],
      configType: 0,
      documentation: null,
    }));
  }
  throw new SkeinError('SKEIN_INVALID_REQUEST', `configs of resource type ${resource.resourceType} are not served (topics: 2, broker: 4)`);
}
