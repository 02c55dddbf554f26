#!/bin/sh
# Creates Kontakt's namespace (closed workflow histories are kept for TEMPORAL_RETENTION;
# they hold ids only, never personal data) and registers the Keyword search attributes
# Kontakt's workflows set. Idempotent.
set -eu
addr=${TEMPORAL_ADDRESS:-temporal:7233}
ns=${TEMPORAL_NAMESPACE:-default}
retention=${TEMPORAL_RETENTION:-30d}

until temporal operator cluster health --address "$addr" >/dev/null 2>&1; do
  echo "temporal-namespace: waiting for $addr"
  sleep 2
done
if ! temporal operator namespace describe --namespace "$ns" --address "$addr" >/dev/null 2>&1; then
  temporal operator namespace create --namespace "$ns" --retention "$retention" --address "$addr"
fi
existing=$(temporal operator search-attribute list --namespace "$ns" --address "$addr")
for name in ContactID ProjectID CampaignID ConsentPurpose; do
  if ! echo "$existing" | grep -qw "$name"; then
    temporal operator search-attribute create --namespace "$ns" --name "$name" --type Keyword --address "$addr"
  fi
done
echo "temporal-namespace: $ns ready"
