#!/usr/bin/env node
// Used by ha-addon/run.sh: reads /data/options.json and the broker (from the environment the run
// script filled from `bashio::services mqtt`), writes the daemon's config as YAML to stdout.
import { readFileSync } from 'node:fs';
import { stringify } from 'yaml';
import { type AddonOptions, addonConfig } from './options.js';

const options = JSON.parse(readFileSync(process.argv[2] ?? '/data/options.json', 'utf8')) as AddonOptions;
const env = process.env;
const mqtt = env.MQTT_HOST
  ? {
      host: env.MQTT_HOST,
      port: Number(env.MQTT_PORT ?? 1883),
      username: env.MQTT_USERNAME ?? '',
      password: env.MQTT_PASSWORD ?? '',
      ssl: env.MQTT_SSL === 'true',
    }
  : null;
process.stdout.write(
  `# Written by the kvmr0ck add-on from /data/options.json at start; edit the options instead.\n${stringify(addonConfig(options, mqtt, env.KVMR0CK_DATA ?? '/data', env.ADDON_SLUG ?? ''))}`,
);
