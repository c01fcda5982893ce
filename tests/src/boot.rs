//! The boot test's machinery: each host's rendered user data, run for real by cloud-init inside a
//! Debian root booted with `systemd-nspawn` (its own mount, PID and network namespaces; never on
//! this machine itself), with only the outside world replaced by recording stand-ins.
//!
//! - The root (`IAC_BOOT_ROOT`) is built by `scripts/install-tools.sh` with mmdebstrap from
//!   Debian's packages: systemd, cloud-init and the tools of a cloud image, plus a local mirror
//!   of every other package the hosts install (Debian's own `.deb`s), so the packages a host asks
//!   for are installed by cloud-init for real.
//! - The outside world: the container engine and its registry (`docker.io`) and the AWS CLI
//!   (`awscli`) are stand-in packages built here from `tests/boot/fakes/` and served by a second
//!   local repository. They keep state as the real ones do and record every call; a
//!   [`Scenario`] says whether the registry answers, which images the host already has (a baked
//!   AMI) and whether the instance role may read secrets.
//! - Each [`Instance`] is an overlay on the read-only root (its own writable layer), booted as a
//!   [`Machine`] as many times as the test likes: a reboot keeps the layer.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use iac_core::app::HostConfig;
use iac_core::model::Resource;

/// A host of a stack: its setup and its rendered user data (`userdata/<id>.yaml`).
pub struct BootHost {
    /// Stack name.
    pub stack: String,
    /// Environment.
    pub env: String,
    /// File stem of its user data, e.g. `web-launch-template`.
    pub id: String,
    /// The setup the user data was rendered from.
    pub host: HostConfig,
    /// The `#cloud-config` document, deploy-time values shown as `<Resource.Attr>`.
    pub user_data: String,
}

/// Every host of every stack and environment of the seed registry (the `scale` stack's copies of
/// Ichnaea excepted: they are Ichnaea's hosts again).
pub fn hosts() -> Vec<BootHost> {
    let registry = stacks::registry();
    let mut out = Vec::new();
    for def in registry.stacks() {
        if def.name == "scale" {
            continue;
        }
        for (env, _) in &def.envs {
            let stack = registry.build(def.name, env, None).unwrap_or_else(|e| panic!("{}/{env}: {e}", def.name));
            for entry in stack.resources() {
                let (host, cloud) = if let Resource::LaunchTemplate(lt) = &entry.resource {
                    (lt.machine.user_data.as_ref(), iac_render::userdata::Cloud::Aws)
                } else if let Resource::Instance(i) = &entry.resource {
                    (i.machine.user_data.as_ref(), iac_render::userdata::Cloud::Aws)
                } else if let Resource::Droplet(d) = &entry.resource {
                    (d.user_data.as_ref(), iac_render::userdata::Cloud::Generic)
                } else {
                    (None, iac_render::userdata::Cloud::Aws)
                };
                let Some(host) = host else { continue };
                // Deploy-time values are shown as `<Resource.Attr>`; the region is a value a
                // real host gets, as the AWS CLI (the stand-in) reads it.
                let user_data = iac_render::userdata::render_text_for(&stack, host, cloud)
                    .unwrap_or_else(|e| panic!("{}/{env}/{}: {e}", def.name, entry.id))
                    .replace("<Region>", "eu-west-2");
                out.push(BootHost {
                    stack: def.name.to_owned(),
                    env: (*env).to_owned(),
                    id: entry.id.kebab_case(),
                    host: host.clone(),
                    user_data,
                });
            }
        }
    }
    out
}

/// The ids of the data volumes the user data mounts (`iac_data_volume ID ...`), as the boot
/// script sees them.
pub fn data_volumes(user_data: &str) -> Vec<String> {
    user_data
        .lines()
        .filter_map(|l| l.trim_start().strip_prefix("if ! { iac_data_volume "))
        .filter_map(|rest| rest.split_whitespace().next())
        .map(|id| id.trim_matches('\'').to_owned())
        .collect()
}

/// What the outside world does during a boot.
#[derive(Debug, Clone, Default)]
pub struct Scenario {
    /// The container registry does not answer.
    pub registry_down: bool,
    /// Images already on the host (baked into its AMI).
    pub images_present: Vec<String>,
    /// The instance role may not read secrets (every AWS call is denied).
    pub aws_denied: bool,
}

/// The root, the tools and the stand-in packages.
pub struct BootEnv {
    root: PathBuf,
    nspawn: PathBuf,
    fakes: tempfile::TempDir,
    /// Serialises the building of package layers.
    layers: std::sync::Mutex<()>,
}

/// Where the stand-ins' sources are.
fn fakes_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("boot/fakes")
}

fn run(cmd: &mut Command) -> Output {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

impl BootEnv {
    /// The root and tools from `tools.env`; `None` (a printed skip) when they are missing, a
    /// failure when `CI=true`.
    pub fn find() -> Option<Self> {
        let root = crate::oracle("IAC_BOOT_ROOT")?;
        let nspawn = crate::oracle("IAC_NSPAWN")?;
        let ftparchive = crate::oracle("IAC_APT_FTPARCHIVE")?;
        let root = std::fs::canonicalize(&root).expect("the boot root resolves");
        let fakes = tempfile::Builder::new().prefix("iac-boot-fakes-").tempdir().expect("temp dir");
        build_fake_packages(fakes.path(), &ftparchive);
        Some(Self { root, nspawn, fakes, layers: std::sync::Mutex::new(()) })
    }

    /// A layer on the root with `packages` installed from the mirror by apt, as in an image that
    /// has them: built once per package set and kept in `$IAC_CACHE_DIR/boot-layers` (installing
    /// Postback's forty packages at every boot would take minutes). cloud-init's own install step
    /// still runs at boot and finds them there.
    fn layer(&self, packages: &[String]) -> Option<PathBuf> {
        use std::hash::{Hash, Hasher};
        if packages.is_empty() {
            return None;
        }
        let mut sorted = packages.to_vec();
        sorted.sort();
        let mut h = std::collections::hash_map::DefaultHasher::new();
        (
            self.root.to_string_lossy(),
            &sorted,
            std::fs::read_to_string(self.root.join("var/lib/iac-boot-root/stamp")).ok(),
        )
            .hash(&mut h);
        let dir = cache_dir().join("boot-layers").join(format!("{:016x}", h.finish()));
        let _guard = self.layers.lock().expect("layers");
        if dir.join(".iac-layer-done").exists() {
            return Some(dir.join("upper"));
        }
        let parent = dir.parent().expect("a parent");
        std::fs::create_dir_all(parent).expect("layers dir");
        let tmp = tempfile::Builder::new().prefix(".building-").tempdir_in(parent).expect("temp dir");
        for d in ["upper", "work", "merged"] {
            std::fs::create_dir_all(tmp.path().join(d)).expect("layer dirs");
        }
        let t = tmp.path();
        let script = format!(
            "mount -t tmpfs tmpfs /run && mount -t overlay overlay -o lowerdir={root},upperdir={t}/upper,workdir={t}/work {t}/merged && exec {nspawn} --quiet -D {t}/merged --register=no --keep-unit --private-network --bind-ro={fakes}:/srv/iac-fakes /bin/sh -c 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -qq -y --no-install-recommends {pkgs} >/dev/null'",
            root = self.root.display(),
            t = t.display(),
            nspawn = self.nspawn.display(),
            fakes = self.fakes.path().display(),
            pkgs = sorted.join(" "),
        );
        run(Command::new("unshare").args(["--mount", "--propagation", "private", "--", "/bin/sh", "-c", &script]));
        let upper = t.join("upper");
        for transient in ["etc/machine-id", "var/lib/apt/lists"] {
            let p = upper.join(transient);
            if p.is_dir() {
                std::fs::remove_dir_all(&p).expect("clean the layer");
            } else if p.exists() {
                std::fs::remove_file(&p).expect("clean the layer");
            }
        }
        std::fs::write(t.join(".iac-layer-done"), sorted.join("\n")).expect("mark the layer");
        if dir.exists() {
            std::fs::remove_dir_all(&dir).expect("replace an unfinished layer");
        }
        let kept = tmp.keep();
        std::fs::rename(&kept, &dir).expect("keep the layer");
        Some(dir.join("upper"))
    }

    /// A new instance (its own writable layer) that boots `user_data` in `scenario`, on a layer
    /// with `packages` installed (see [`BootEnv::layer`]).
    pub fn instance(&self, name: &str, user_data: &str, packages: &[String], scenario: &Scenario) -> Instance {
        let layer = self.layer(packages);
        let mut dir = tempfile::Builder::new().prefix("iac-boot-").tempdir_in(instance_parent()).expect("temp dir");
        // IAC_BOOT_KEEP=1 keeps the instances' layers to look at afterwards.
        dir.disable_cleanup(std::env::var_os("IAC_BOOT_KEEP").is_some());
        let upper = dir.path().join("upper");
        for d in ["upper", "work", "merged"] {
            std::fs::create_dir_all(dir.path().join(d)).expect("instance dirs");
        }
        let put = |path: &str, content: &[u8]| {
            let p = upper.join(path.trim_start_matches('/'));
            std::fs::create_dir_all(p.parent().expect("a parent")).expect("dirs");
            std::fs::write(&p, content).expect("write");
        };
        put("/var/lib/cloud/seed/nocloud/user-data", user_data.as_bytes());
        put(
            "/var/lib/cloud/seed/nocloud/meta-data",
            format!("instance-id: i-{name}\nlocal-hostname: {name}\n").as_bytes(),
        );
        let machine_id: String = format!("{:032x}", u128::from(std::process::id()) << 64 | u128::from(nanos()));
        put("/etc/machine-id", format!("{machine_id}\n").as_bytes());
        put(
            "/var/lib/docker-fake/registry.json",
            format!("{{\"reachable\": {}}}\n", !scenario.registry_down).as_bytes(),
        );
        put("/var/lib/docker-fake/image-ports.json", IMAGE_PORTS.as_bytes());
        for image in &scenario.images_present {
            put(&format!("/var/lib/docker-fake/images/{}", image.replace('/', "%2F")), format!("{image}\n").as_bytes());
        }
        if scenario.aws_denied {
            put("/var/lib/aws-fake/denied", b"");
        }
        // A data volume (EBS) is attached as a file: the boot script finds it by its id under
        // /dev/disk/by-id, as on a Nitro instance, and makes its file system, but the machine
        // has no loop devices, so mounting it fails as a volume that cannot be used does.
        let by_id = dir.path().join("by-id");
        std::fs::create_dir_all(&by_id).expect("by-id dir");
        for (i, id) in data_volumes(user_data).iter().enumerate() {
            let image = format!("/var/lib/ebs-fake/volume-{i}.img");
            put(&image, b"");
            let file = std::fs::OpenOptions::new()
                .write(true)
                .open(upper.join(image.trim_start_matches('/')))
                .expect("the volume's file");
            file.set_len(64 << 20).expect("a sparse 64 MiB volume");
            std::os::unix::fs::symlink(
                &image,
                by_id.join(format!("nvme-Amazon_Elastic_Block_Store_{}", id.replace('-', ""))),
            )
            .expect("the volume's link");
        }
        let lower = match layer {
            Some(l) => format!("{}:{}", l.display(), self.root.display()),
            None => self.root.display().to_string(),
        };
        Instance { dir, name: name.to_owned(), lower, nspawn: self.nspawn.clone(), fakes: self.fakes.path().to_owned() }
    }
}

/// The ports the stand-in images listen on when they share the host's network (the images'
/// `EXPOSE`); with a bridge network a container answers on its published ports.
const IMAGE_PORTS: &str = r#"{"aphacsubot/viewbovis": [3000], "nextstrain/base": [4000]}
"#;

fn nanos() -> u64 {
    u64::try_from(std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos()))
        .unwrap_or(0)
}

/// `$IAC_CACHE_DIR`, as `scripts/install-tools.sh` and `scripts/test.sh` choose it.
fn cache_dir() -> PathBuf {
    std::env::var_os("IAC_CACHE_DIR").map_or_else(
        || {
            std::env::var_os("XDG_CACHE_HOME")
                .map_or_else(
                    || PathBuf::from(std::env::var_os("HOME").unwrap_or_default()).join(".cache"),
                    PathBuf::from,
                )
                .join("iac-rs")
        },
        PathBuf::from,
    )
}

/// Instances live beside the cache (an overlay's layers must be on a real file system, not the
/// tmpfs some machines mount on /tmp).
fn instance_parent() -> PathBuf {
    let dir = std::env::var_os("IAC_BOOT_WORK_DIR").map_or_else(std::env::temp_dir, PathBuf::from);
    std::fs::create_dir_all(&dir).expect("work dir");
    dir
}

/// A stand-in package: its name, what it stands for, its files (source in `tests/boot/fakes`,
/// path in the package) and its `postinst`.
type FakePackage<'a> = (&'a str, &'a str, &'a [(&'a str, &'a str)], Option<&'a str>);

/// Builds `docker.io` and `awscli` stand-ins as `.deb`s in `out` and indexes them.
fn build_fake_packages(out: &Path, ftparchive: &Path) {
    let src = fakes_dir();
    let packages: [FakePackage<'_>; 2] = [
        (
            "docker.io",
            "the container engine and its registry (iac-rs boot test stand-in)",
            &[
                ("docker", "usr/bin/docker"),
                ("dockerd", "usr/bin/dockerd"),
                ("container.py", "usr/lib/docker-fake/container.py"),
                ("docker.service", "lib/systemd/system/docker.service"),
            ],
            Some(include_str!("../boot/fakes/docker.postinst")),
        ),
        (
            "awscli",
            "the AWS APIs (iac-rs boot test stand-in)",
            &[("aws", "usr/bin/aws")],
            Some(include_str!("../boot/fakes/aws.postinst")),
        ),
    ];
    for (name, what, files, postinst) in packages {
        let pkg = out.join(format!("build-{name}"));
        std::fs::create_dir_all(pkg.join("DEBIAN")).expect("DEBIAN");
        std::fs::write(
            pkg.join("DEBIAN/control"),
            format!(
                "Package: {name}\nVersion: 99:0-iacfake\nArchitecture: all\nMaintainer: iac-rs <iac@example.org>\nDepends: python3\nDescription: stand-in for {what}\n"
            ),
        )
        .expect("control");
        if let Some(script) = postinst {
            let p = pkg.join("DEBIAN/postinst");
            std::fs::write(&p, script).expect("postinst");
            run(Command::new("chmod").arg("0755").arg(&p));
        }
        for (from, to) in files {
            let dest = pkg.join(to);
            std::fs::create_dir_all(dest.parent().expect("parent")).expect("dirs");
            std::fs::copy(src.join(from), &dest).expect("copy a stand-in");
            let mode = if to.ends_with(".service") { "0644" } else { "0755" };
            run(Command::new("chmod").arg(mode).arg(&dest));
        }
        run(Command::new("dpkg-deb")
            .arg("--root-owner-group")
            .arg("-b")
            .arg(&pkg)
            .arg(out.join(format!("{name}.deb"))));
        std::fs::remove_dir_all(&pkg).expect("clean");
    }
    let index = run(Command::new(ftparchive).arg("packages").arg(".").current_dir(out));
    std::fs::write(out.join("Packages"), index.stdout).expect("Packages");
}

/// One host's writable layer on the root.
pub struct Instance {
    dir: tempfile::TempDir,
    name: String,
    /// The overlay's lower directories (a package layer, the root).
    lower: String,
    nspawn: PathBuf,
    fakes: PathBuf,
}

impl Instance {
    /// Boots it and waits until systemd has finished starting up (cloud-init included).
    pub fn boot(&self) -> Machine {
        let d = self.dir.path();
        let script = format!(
            "mount -t tmpfs tmpfs /run && mount -t overlay overlay -o lowerdir={lower},upperdir={d}/upper,workdir={d}/work {d}/merged && exec {nspawn} --quiet -D {d}/merged --machine={name} --register=no --keep-unit --private-network --boot --console=pipe --bind-ro={fakes}:/srv/iac-fakes --bind-ro={d}/by-id:/dev/disk/by-id",
            lower = self.lower,
            d = d.display(),
            nspawn = self.nspawn.display(),
            name = self.name,
            fakes = self.fakes.display(),
        );
        let log =
            std::fs::OpenOptions::new().create(true).append(true).open(d.join("console.log")).expect("console log");
        let child = Command::new("unshare")
            .args(["--mount", "--propagation", "private", "--", "/bin/sh", "-c", &script])
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log"))
            .stderr(log)
            .spawn()
            .expect("unshare starts");
        let mut m = Machine { child: Some(child), leader: 0, name: self.name.clone(), console: d.join("console.log") };
        m.leader = m.find_leader();
        m.wait_started();
        m
    }

    /// A file of the layer (what the host wrote), read from outside while it is off.
    pub fn upper(&self) -> PathBuf {
        self.dir.path().join("upper")
    }
}

/// A booted instance.
pub struct Machine {
    child: Option<Child>,
    leader: u32,
    name: String,
    console: PathBuf,
}

impl Machine {
    fn find_leader(&mut self) -> u32 {
        let pid = self.child.as_ref().expect("running").id();
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Ok(children) = std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children")) {
                for c in children.split_whitespace() {
                    let comm = std::fs::read_to_string(format!("/proc/{c}/comm")).unwrap_or_default();
                    if comm.trim() == "systemd" {
                        return c.parse().expect("a pid");
                    }
                }
            }
            if let Some(Ok(Some(status))) = self.child.as_mut().map(Child::try_wait) {
                panic!("{}: nspawn exited with {status}: {}", self.name, self.console_text());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("{}: systemd did not start within 30 s: {}", self.name, self.console_text());
    }

    fn console_text(&self) -> String {
        std::fs::read_to_string(&self.console).unwrap_or_default()
    }

    fn wait_started(&self) {
        let deadline = Instant::now() + Duration::from_mins(5);
        loop {
            let out = self.sh(
                "timeout 280 systemctl is-system-running --wait 2>&1; cloud-init status --wait >/dev/null 2>&1; true",
            );
            let state = String::from_utf8_lossy(&out.stdout).trim().to_owned();
            if ["running", "degraded", "maintenance"].contains(&state.as_str()) {
                return;
            }
            assert!(Instant::now() < deadline, "{}: the boot did not finish within 300 s (state `{state}`)", self.name);
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// Runs `script` with `/bin/sh` inside the machine (all its namespaces), as root.
    pub fn sh(&self, script: &str) -> Output {
        Command::new("nsenter")
            .args(["-t", &self.leader.to_string(), "-a", "--", "/usr/bin/env", "-i"])
            .args(["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "LANG=C.UTF-8"])
            .args(["/bin/sh", "-c", script])
            .stdin(Stdio::null())
            .output()
            .expect("nsenter runs")
    }

    /// [`Machine::sh`]'s standard output, trimmed; stderr is appended when the script fails.
    pub fn text(&self, script: &str) -> String {
        let out = self.sh(script);
        let mut s = String::from_utf8_lossy(&out.stdout).trim_end().to_owned();
        if !out.status.success() {
            let _ = write!(s, "{}", String::from_utf8_lossy(&out.stderr));
        }
        s
    }

    /// A file inside the machine, if it exists.
    pub fn read(&self, path: &str) -> Option<String> {
        let out = self.sh(&format!("cat {}", iac_render::userdata::shell_quote(path)));
        out.status.success().then(|| String::from_utf8_lossy(&out.stdout).into_owned())
    }

    /// `systemctl show` properties of `unit`.
    pub fn unit(&self, unit: &str) -> BTreeMap<String, String> {
        self.text(&format!(
            "systemctl show --property=ActiveState,SubState,Result,UnitFileState,InactiveExitTimestampMonotonic,ActiveEnterTimestampMonotonic {unit}"
        ))
        .lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
    }

    /// Shuts the machine down and waits until it is off.
    pub fn poweroff(mut self) {
        let _ = self.sh("systemctl poweroff");
        self.wait_off(Duration::from_secs(90));
    }

    fn wait_off(&mut self, limit: Duration) {
        let Some(mut child) = self.child.take() else { return };
        let deadline = Instant::now() + limit;
        while Instant::now() < deadline {
            if let Ok(Some(_)) = child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = child.kill();
        let _ = child.wait();
        panic!("{}: did not power off within {limit:?}", self.name);
    }
}

impl Drop for Machine {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            // Killing the container's PID 1 ends its whole PID namespace.
            let _ = Command::new("kill").args(["-KILL", &self.leader.to_string()]).status();
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}
