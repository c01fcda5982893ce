//! ElastiCache kinds (`aws_elasticache_*`): subnet groups, parameter groups and replication groups; the groups share their arguments with RDS's ([`super::rds`]).

mod cache_parameter_group;
mod cache_replication_group;
mod cache_subnet_group;
