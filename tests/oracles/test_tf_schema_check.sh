#!/usr/bin/env bash
# Self-test for tf_schema_check.py: a good .tf must pass (exit 0), a bad one must fail (exit 1)
# with the typo's suggestion and the misplaced block reported, and a broken file must exit 2.
# Python: $IAC_PYTHON, else the IAC_PYTHON= line of $HOME/.cache/iac-rs/tools.env, else python3
# (it needs python-hcl2 8.x).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
checker="$here/tf_schema_check.py"
schema="$here/aws_provider_schema.json"

py="${IAC_PYTHON:-}"
if [[ -z "$py" && -f "$HOME/.cache/iac-rs/tools.env" ]]; then
    py="$(sed -n 's/^IAC_PYTHON=//p' "$HOME/.cache/iac-rs/tools.env" | head -n 1)"
fi
py="${py:-python3}"
if ! "$py" -c 'import hcl2' 2>/dev/null; then
    echo "SKIP: $py has no python-hcl2" >&2
    exit 0
fi

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

passed=0
failed=0
ok() { passed=$((passed + 1)); echo "ok: $1"; }
fail() { failed=$((failed + 1)); echo "FAIL: $1" >&2; }

cat >"$tmp/good.tf" <<'EOF'
terraform {
  required_providers {
    aws = { source = "hashicorp/aws", version = "~> 5.0" }
  }
}
provider "aws" {
  region = "eu-west-1"
  default_tags {
    tags = { Project = "selftest" }
  }
}
data "aws_availability_zones" "available" {
  state = "available"
}
resource "aws_vpc" "main" {
  cidr_block           = "10.0.0.0/16"
  enable_dns_hostnames = true
  tags                 = { Name = "main" }
}
resource "aws_security_group" "web" {
  vpc_id = aws_vpc.main.id
  egress = []
  ingress {
    from_port   = 443
    to_port     = 443
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }
  lifecycle {
    create_before_destroy = true
  }
}
resource "aws_launch_template" "web" {
  name_prefix = "web-"
  block_device_mappings {
    device_name = "/dev/xvda"
    ebs {
      volume_size = 20
      encrypted   = true
    }
  }
  metadata_options {
    http_tokens = "required"
  }
}
resource "aws_lb_listener" "http" {
  count             = 1
  load_balancer_arn = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/x/y"
  default_action {
    type = "redirect"
    redirect {
      protocol    = "HTTPS"
      port        = "443"
      status_code = "HTTP_301"
    }
  }
}
EOF

cat >"$tmp/bad.tf" <<'EOF'
resource "aws_vpc" "main" {
  cidr_block          = "10.0.0.0/16"
  enable_dns_hostname = true
}
resource "aws_launch_template" "web" {
  block_device_mappings {
    device_name = "/dev/xvda"
  }
  ebs {
    volume_size = 20
  }
}
EOF

printf 'resource "aws_vpc" "x" {\n  cidr_block = \n' >"$tmp/broken.tf"

cat >"$tmp/other.tf" <<'EOF'
resource "digitalocean_droplet" "web" {
  name   = "web"
  region = "lon1"
  size   = "s-1vcpu-1gb"
  image  = "ubuntu-24-04-x64"
}
EOF

set +e
out_good="$("$py" "$checker" "$schema" "$tmp/good.tf" 2>&1)"
rc_good=$?
out_bad="$("$py" "$checker" "$schema" "$tmp/bad.tf" 2>&1)"
rc_bad=$?
"$py" "$checker" "$schema" "$tmp/broken.tf" >/dev/null 2>&1
rc_broken=$?
"$py" "$checker" "$schema" >/dev/null 2>&1
rc_usage=$?
out_other="$("$py" "$checker" "$schema" "$tmp/other.tf" 2>&1)"
rc_other=$?
set -e

echo "--- good.tf"; echo "$out_good"
echo "--- bad.tf"; echo "$out_bad"

# check DESCRIPTION COMMAND...: counts a pass when COMMAND succeeds.
check() {
    local what="$1"
    shift
    if "$@"; then ok "$what"; else fail "$what"; fi
}
has() { grep -qF -- "$1" <<<"$2"; }
matches() { grep -q -- "$1" <<<"$2"; }

# The backticks below are literal text of the checker's messages.
# shellcheck disable=SC2016
typo='resource aws_vpc.main: unknown argument `enable_dns_hostname` (did you mean `enable_dns_hostnames`?)'
# shellcheck disable=SC2016
misplaced='resource aws_launch_template.web: unknown block `ebs` (`ebs` belongs in `block_device_mappings`)'

check "good.tf exits 0 (got $rc_good)" test "$rc_good" -eq 0
check "good.tf summary line" matches '^checked 6 blocks, [0-9]* arguments: 0 problems$' "$out_good"
check "bad.tf exits 1 (got $rc_bad)" test "$rc_bad" -eq 1
check "typo reported with its suggestion" has "$typo" "$out_bad"
check "misplaced nested block reported" has "$misplaced" "$out_bad"
check "bad.tf summary line" matches '^checked 2 blocks, [0-9]* arguments: 2 problems$' "$out_bad"
check "unparsable file exits 2 (got $rc_broken)" test "$rc_broken" -eq 2
check "usage error exits 2 (got $rc_usage)" test "$rc_usage" -eq 2
check "other providers' blocks are skipped (got $rc_other)" test "$rc_other" -eq 0
check "skipped blocks are reported" has "skipped (other providers, not in this AWS schema): digitalocean_droplet" "$out_other"
check "other.tf summary line" matches '^checked 0 blocks, 0 arguments: 0 problems$' "$out_other"

echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
