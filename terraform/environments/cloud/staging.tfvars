# The production layout at its smallest: the same three regions and processes, one edge task each.
environment    = "staging"
public_domain  = "staging.aimoviez.example"
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
auth                         = { issuer = "aimoviez", audience = "aimoviez", signing_key_secret_name = "aimoviez/staging/signing-key" }
database_password_secret_arn = "arn:aws:secretsmanager:us-east-1:000000000000:secret:aimoviez/staging/postgres-000000"

shards = ["shard-1", "shard-2"]
season_shards = [
  { from_season = 1, to_season = 1000, shards = ["shard-1", "shard-2"] },
]

sizes = {
  edge       = { cpu = 1024, memory = 2048, min = { us-east = 1, eu-west = 1, ap-south = 1 }, max = { us-east = 4, eu-west = 4, ap-south = 4 } }
  nats       = { instance_type = "t3.small", volume_gb = 20, version = "2.10.24" }
  redis      = { node_type = "cache.t4g.small", shards = { us-east = 3, eu-west = 3, ap-south = 3 } }
  core       = { cpu = 512, memory = 1024 }
  aggregator = { cpu = 1024, memory = 2048, count = 2 }
  databases = {
    catalog               = { instance_class = "db.t4g.medium", storage_gb = 20, max_storage_gb = 100 }
    shard                 = { instance_class = "db.t4g.medium", storage_gb = 20, max_storage_gb = 100 }
    backup_retention_days = 7
    multi_az              = false
  }
}
