//! Secrets Manager kinds (`AWS::SecretsManager::*`): generated secrets.

mod secret;
