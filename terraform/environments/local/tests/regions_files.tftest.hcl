# regions/ is what the services read; these runs prove it is exactly what the topology module makes for the local
# environments (compared as decoded JSON, so key order and whitespace do not matter). Run from this directory.

run "default_layout_equals_regions_json" {
  command = plan

  assert {
    condition     = jsondecode(output.regions_json) == jsondecode(file("../../../regions/regions.json"))
    error_message = "regions/regions.json differs from the topology module's output for the local environment: ${output.regions_json}"
  }
}

run "ha_layout_equals_regions_ha_json" {
  command = plan

  assert {
    condition     = jsondecode(output.regions_ha_json) == jsondecode(file("../../../regions/regions-ha.json"))
    error_message = "regions/regions-ha.json differs from the topology module's output for the local HA layout: ${output.regions_ha_json}"
  }
}
