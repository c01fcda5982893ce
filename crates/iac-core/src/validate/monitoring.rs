//! Rules of the alarm, notification, data volume and generated secret kinds.

use crate::app::HostConfig;
use crate::diag::Code;
use crate::model::{Alarm, ResourceEntry, Secret, Subscription, SubscriptionProtocol, Topic, Volume, VolumeAttachment};
use crate::value::Value;

use super::Validator;

/// Periods CloudWatch takes besides multiples of a minute (high-resolution metrics).
const SUB_MINUTE_PERIODS: &[u32] = &[10, 20, 30];

impl Validator<'_> {
    pub(super) fn topic(&mut self, entry: &ResourceEntry, t: &Topic) {
        if matches!(&t.kms_master_key_id, Value::Lit(k) if k.trim().is_empty()) {
            self.report(
                Code::TopicNotEncrypted,
                self.at(entry, "KmsMasterKeyId"),
                "the topic is not encrypted at rest",
                "give a KMS key, e.g. `Topic::encrypted` (the AWS-managed `alias/aws/sns`) or a key of your own",
            );
        }
        if t.display_name.chars().count() > 100 {
            self.report(
                Code::TopicDisplayNameTooLong,
                self.at(entry, "DisplayName"),
                "a topic's display name has more than 100 characters",
                "shorten it: email notifications show it as the sender",
            );
        }
    }

    pub(super) fn subscription(&mut self, entry: &ResourceEntry, s: &Subscription) {
        let bad = match (s.protocol, &s.endpoint) {
            (SubscriptionProtocol::Email, Value::Lit(e)) => {
                let (user, domain) = e.split_once('@').unwrap_or(("", ""));
                user.is_empty() || !domain.contains('.') || e.contains(char::is_whitespace)
            }
            _ => false,
        };
        if bad {
            self.report(
                Code::SubscriptionEmailInvalid,
                self.at(entry, "Endpoint"),
                "the email subscription's endpoint is not an email address",
                "write an address such as `ops@example.org` in the environment's config",
            );
        }
    }

    pub(super) fn alarm(&mut self, entry: &ResourceEntry, a: &Alarm) {
        let p = a.period_seconds;
        if p == 0 || !(SUB_MINUTE_PERIODS.contains(&p) || p.is_multiple_of(60)) {
            self.report(
                Code::AlarmPeriod,
                self.at(entry, "Period"),
                format!("period {p} s is not one CloudWatch takes"),
                "use 10, 20 or 30 seconds (high-resolution metrics) or a multiple of 60",
            );
        }
        let datapoints = a.datapoints_to_alarm.unwrap_or(a.evaluation_periods);
        if a.evaluation_periods == 0 || datapoints == 0 || datapoints > a.evaluation_periods {
            self.report(
                Code::AlarmDatapoints,
                self.at(entry, "EvaluationPeriods"),
                format!("{datapoints} breaching data points out of {} periods cannot be", a.evaluation_periods),
                "evaluate one or more periods and alarm on at most that many",
            );
        }
        if u64::from(p) * u64::from(a.evaluation_periods) > 86_400 {
            self.report(
                Code::AlarmTooLong,
                self.at(entry, "EvaluationPeriods"),
                "the alarm looks at more than a day of data",
                "CloudWatch evaluates at most 24 hours: use fewer or shorter periods",
            );
        }
        if a.alarm_actions.is_empty() {
            self.out.push(super::Diagnostic::new(
                Code::AlarmNotifiesNoOne,
                self.at(entry, "AlarmActions"),
                "the alarm notifies no one",
                "give it a topic's ARN (see `patterns::alarms::Notifications`)",
            ));
        }
    }

    pub(super) fn volume(&mut self, entry: &ResourceEntry, v: &Volume) {
        if !v.encrypted {
            self.report(
                Code::VolumeNotEncrypted,
                self.at(entry, "Encrypted"),
                "the EBS volume is not encrypted",
                "set encrypted to true (`Volume::gp3` does)",
            );
        }
        if v.size_gib == 0 || v.size_gib > 16_384 {
            self.report(
                Code::EbsVolumeSize,
                self.at(entry, "Size"),
                format!("{} GiB is not a size EBS makes", v.size_gib),
                "give 1 to 16384 GiB",
            );
        }
    }

    pub(super) fn volume_attachment(&mut self, entry: &ResourceEntry, a: &VolumeAttachment) {
        let ok = ["/dev/sd", "/dev/xvd"].iter().any(|p| {
            a.device
                .strip_prefix(p)
                .is_some_and(|rest| rest.len() == 1 && ('f'..='p').contains(&rest.chars().next().unwrap_or('a')))
        });
        if !ok {
            self.report(
                Code::VolumeDevice,
                self.at(entry, "Device"),
                format!("`{}` is not a device name EC2 recommends for a data volume", a.device),
                "use /dev/sdf to /dev/sdp",
            );
        }
    }

    pub(super) fn droplet_data_mounts(&mut self, entry: &ResourceEntry, host: &HostConfig) {
        if !host.data_mounts.is_empty() {
            self.report(
                Code::DropletDataMount,
                self.at(entry, "UserData.DataMounts"),
                "a DigitalOcean droplet cannot mount an EBS volume",
                "attach a DigitalOcean volume out of band, or run the host on EC2 (`patterns::Host` with a data volume)",
            );
        }
    }

    pub(super) fn secret(&mut self, entry: &ResourceEntry, s: &Secret) {
        if !(1..=4096).contains(&s.generate.length) {
            self.report(
                Code::SecretLength,
                self.at(entry, "GenerateSecretString.PasswordLength"),
                format!("a generated value of {} characters cannot be made", s.generate.length),
                "give 1 to 4096 characters (64 is plenty for a signing key)",
            );
        }
    }
}
