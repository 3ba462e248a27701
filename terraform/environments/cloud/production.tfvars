# Sizes for 1,000,000 voters at a slot close: docs/CAPACITY.md (recomputed by perf/capacity.sh).
environment    = "production"
public_domain  = "aimoviez.example"
public_zone_id = "Z0000000000000000000"
certificate_arns = {
  us-east  = "arn:aws:acm:us-east-1:000000000000:certificate/00000000-0000-0000-0000-000000000000"
  eu-west  = "arn:aws:acm:eu-west-1:000000000000:certificate/00000000-0000-0000-0000-000000000000"
  ap-south = "arn:aws:acm:ap-south-1:000000000000:certificate/00000000-0000-0000-0000-000000000000"
}
images = {
  edge       = "000000000000.dkr.ecr.us-east-1.amazonaws.com/aimoviez-edge:COMMIT"
  core       = "000000000000.dkr.ecr.us-east-1.amazonaws.com/aimoviez-core:COMMIT"
  aggregator = "000000000000.dkr.ecr.us-east-1.amazonaws.com/aimoviez-aggregator:COMMIT"
}
auth                         = { issuer = "aimoviez", audience = "aimoviez", signing_key_secret_name = "aimoviez/production/signing-key" }
database_password_secret_arn = "arn:aws:secretsmanager:us-east-1:000000000000:secret:aimoviez/production/postgres-000000"

shards = ["shard-1", "shard-2"]
season_shards = [
  { from_season = 1, to_season = 1000, shards = ["shard-1", "shard-2"] },
]

sizes = {
  # Edge tasks of 4 vCPU: min is the slot-close peak (CAPACITY.md: edge tasks per region), running before each close.
  edge       = { cpu = 4096, memory = 8192, min = { us-east = 5, eu-west = 4, ap-south = 3 }, max = { us-east = 10, eu-west = 8, ap-south = 6 } }
  nats       = { instance_type = "c7i.xlarge", volume_gb = 50, version = "2.10.24" }
  redis      = { node_type = "cache.r7g.large", shards = { us-east = 4, eu-west = 3, ap-south = 3 } }
  core       = { cpu = 1024, memory = 2048 }
  aggregator = { cpu = 8192, memory = 16384, count = 2 }
  databases = {
    catalog               = { instance_class = "db.r7g.4xlarge", storage_gb = 100, max_storage_gb = 1000 }
    shard                 = { instance_class = "db.r7g.2xlarge", storage_gb = 350, max_storage_gb = 2000 }
    backup_retention_days = 14
    multi_az              = true
  }
}
