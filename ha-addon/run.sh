#!/usr/bin/env bash
# Add-on entry point: broker from the Supervisor, options from the add-on UI, then the daemon.
# In the add-on image bashio lives at /usr/lib/bashio/bashio.sh; tests point BASHIO at a stand-in.
set -euo pipefail
# shellcheck disable=SC1090
source "${BASHIO:-/usr/lib/bashio/bashio.sh}"
APP=${KVMR0CK_APP:-/app}
DATA=${KVMR0CK_DATA:-/data}

if bashio::services.available mqtt; then
  MQTT_HOST=$(bashio::services mqtt host)
  MQTT_PORT=$(bashio::services mqtt port)
  MQTT_USERNAME=$(bashio::services mqtt username)
  MQTT_PASSWORD=$(bashio::services mqtt password)
  MQTT_SSL=$(bashio::services mqtt ssl)
  export MQTT_HOST MQTT_PORT MQTT_USERNAME MQTT_PASSWORD MQTT_SSL
  bashio::log.info "MQTT broker from the Supervisor: ${MQTT_HOST}:${MQTT_PORT}"
else
  bashio::log.warning "No MQTT service: Home Assistant entities are off (install the Mosquitto add-on)"
fi

# The device's "Visit" link in Home Assistant opens the ingress panel: homeassistant://hassio/ingress/<slug>
# (a store add-on's slug carries its repository's hash, so ask the Supervisor).
ADDON_SLUG=$(bashio::addon.slug)
export ADDON_SLUG

# The config holds the broker password: readable by this add-on only.
umask 077
node "$APP/dist/src/addon/cli.js" "$DATA/options.json" > "$DATA/kvmr0ck.yaml"
# The password reached the daemon through the config file only; keep it out of the environment.
unset MQTT_PASSWORD
exec env MALLOC_ARENA_MAX=2 MALLOC_MMAP_THRESHOLD_=131072 node --max-semi-space-size=1 --v8-pool-size=1 --no-turbofan --optimize-for-size "$APP/dist/kvmr0ck.js" run --config "$DATA/kvmr0ck.yaml" "$@"
