//! DigitalOcean kinds (the `digitalocean` provider): droplets and firewalls.

mod do_firewall;
mod droplet;
