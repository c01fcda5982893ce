//! ElastiCache kinds (`AWS::ElastiCache::*`): subnet groups, parameter groups and replication groups.

mod cache_parameter_group;
mod cache_replication_group;
mod cache_subnet_group;
