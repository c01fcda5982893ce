//! RDS kinds (`AWS::RDS::*`): subnet groups, parameter groups and instances.

mod db_instance;
mod db_parameter_group;
mod db_subnet_group;
