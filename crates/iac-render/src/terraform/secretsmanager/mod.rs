//! Secrets Manager kinds (`aws_secretsmanager_secret`): generated secrets.

mod secret;
