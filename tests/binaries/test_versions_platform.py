"""What a version asks for, which download target this machine is, and which manifest archive fits it."""

from __future__ import annotations

import pytest

from shardsmith.binaries.manifest import Manifest, NoArchive
from shardsmith.binaries.platform import TARGET_ENV, detect_platform, parse_os_release
from shardsmith.errors import ShardsmithError
from shardsmith.releases import Version, VersionRequest
from shardsmith.topology import SpecError, parse_topology

# os-release files as these distributions ship them (os-release(5); the fields that matter kept verbatim).
OS_RELEASES = {
    "ubuntu2204": 'PRETTY_NAME="Ubuntu 22.04.4 LTS"\nNAME="Ubuntu"\nVERSION_ID="22.04"\n'
                  'VERSION="22.04.4 LTS (Jammy Jellyfish)"\nVERSION_CODENAME=jammy\nID=ubuntu\nID_LIKE=debian\n'
                  'UBUNTU_CODENAME=jammy\n',
    "ubuntu2404": 'PRETTY_NAME="Ubuntu 24.04 LTS"\nNAME="Ubuntu"\nVERSION_ID="24.04"\nID=ubuntu\nID_LIKE=debian\n'
                  'UBUNTU_CODENAME=noble\n',
    "ubuntu2004": 'NAME="Ubuntu"\nVERSION="20.04.6 LTS (Focal Fossa)"\nID=ubuntu\nID_LIKE=debian\n'
                  'VERSION_ID="20.04"\nUBUNTU_CODENAME=focal\n',
    "linuxmint-21.3": 'NAME="Linux Mint"\nVERSION="21.3 (Virginia)"\nID=linuxmint\nID_LIKE="ubuntu debian"\n'
                      'VERSION_ID="21.3"\nUBUNTU_CODENAME=jammy\n',
    "debian12": 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\nVERSION_ID="12"\n'
                'VERSION="12 (bookworm)"\nVERSION_CODENAME=bookworm\nID=debian\n',
    "debian11": 'PRETTY_NAME="Debian GNU/Linux 11 (bullseye)"\nVERSION_ID="11"\nID=debian\n',
    "rhel-9.3": 'NAME="Red Hat Enterprise Linux"\nVERSION="9.3 (Plow)"\nID="rhel"\nID_LIKE="fedora"\n'
                'VERSION_ID="9.3"\nPLATFORM_ID="platform:el9"\n',
    "rocky-8.9": 'NAME="Rocky Linux"\nVERSION="8.9 (Green Obsidian)"\nID="rocky"\nID_LIKE="rhel centos fedora"\n'
                 'VERSION_ID="8.9"\n',
    "amazon2": 'NAME="Amazon Linux"\nVERSION="2"\nID="amzn"\nID_LIKE="centos rhel fedora"\nVERSION_ID="2"\n',
    "amazon2023": 'NAME="Amazon Linux"\nVERSION="2023"\nID="amzn"\nID_LIKE="fedora"\nVERSION_ID="2023"\n',
    "fedora-40": 'NAME="Fedora Linux"\nVERSION="40 (Workstation Edition)"\nID=fedora\nVERSION_ID=40\n'
                 'PRETTY_NAME="Fedora Linux 40 (Workstation Edition)"\n',
}


@pytest.fixture(autouse=True)
def no_target_override(monkeypatch):
    monkeypatch.delenv(TARGET_ENV, raising=False)


@pytest.mark.parametrize("sample, target, minor", [
    ("ubuntu2204", "ubuntu2204", None), ("ubuntu2404", "ubuntu2404", None), ("ubuntu2004", "ubuntu2004", None),
    ("linuxmint-21.3", "ubuntu2204", None), ("debian12", "debian12", None), ("debian11", "debian11", None),
    ("rhel-9.3", "rhel9", 3), ("rocky-8.9", "rhel8", 9), ("amazon2", "amazon2", None),
    ("amazon2023", "amazon2023", None),
])
def test_linux_targets_from_os_release(sample, target, minor):
    found = detect_platform(os_release=OS_RELEASES[sample], machine="x86_64", system="Linux")
    assert (found.target, found.arch, found.rhel_minor) == (target, "x86_64", minor)


def test_processors_and_macos():
    assert detect_platform(os_release=OS_RELEASES["ubuntu2204"], machine="aarch64", system="Linux").arch == "arm64"
    mac = detect_platform(machine="arm64", system="Darwin")
    assert (mac.target, mac.arch) == ("macos", "arm64")
    assert mac.runs_arch("arm64") and not mac.runs_arch("x86_64")
    assert mac.target_rank("macos") == 0 and mac.target_rank("osx") == 1 and mac.target_rank("ubuntu2204") is None
    with pytest.raises(ShardsmithError, match="no download for the ppc64le processor"):
        detect_platform(os_release=OS_RELEASES["ubuntu2204"], machine="ppc64le", system="Linux")


def test_a_distro_without_builds_is_an_error_that_names_the_override(monkeypatch):
    with pytest.raises(ShardsmithError) as refused:
        detect_platform(os_release=OS_RELEASES["fedora-40"], machine="x86_64", system="Linux")
    assert "Fedora Linux 40" in refused.value.what and TARGET_ENV in refused.value.hint
    monkeypatch.setenv(TARGET_ENV, "rhel90")
    assert detect_platform(os_release=OS_RELEASES["fedora-40"], machine="x86_64", system="Linux").target == "rhel90"


def test_os_release_values_are_unquoted_like_a_shell():
    assert parse_os_release('ID="rhel"\nNAME=\'Red Hat\'\n# comment\nVERSION_ID=9.3\n') == {
        "ID": "rhel", "NAME": "Red Hat", "VERSION_ID": "9.3"}


def test_version_order_and_requests():
    ordered = ["6.0.3", "6.0.10", "7.0.0-rc1", "7.0.0", "7.0.2", "8.0.0-alpha1", "8.0.0-rc2", "8.0.0"]
    assert sorted(ordered, key=Version.parse) == ["6.0.3", "6.0.10", "7.0.0-rc1", "7.0.0", "7.0.2", "8.0.0-alpha1",
                                                  "8.0.0-rc2", "8.0.0"]
    series = VersionRequest.parse("7.0")
    assert (series.kind, series.series) == ("series", "7.0") and series.matches("7.0.12")
    assert not series.matches("7.1.0") and not series.matches("6.0.5")
    exact = VersionRequest.parse("8.0.4")
    assert exact.kind == "exact" and exact.matches("8.0.4") and not exact.matches("8.0.5")
    assert VersionRequest.parse("latest").kind == "latest"
    for bad in ("7", "v7.0", "7.0.x", "newest", ""):
        with pytest.raises(ValueError, match="not a MongoDB version"):
            VersionRequest.parse(bad)


def manifest_of(*releases) -> Manifest:
    entries = []
    for version, production, downloads in releases:
        entries.append({"version": version, "production_release": production, "downloads": [
            {"target": target, "arch": arch, "edition": edition,
             "archive": {"url": f"https://example.test/{version}-{target}-{arch}-{edition}.tgz", "sha256": "ab"}}
            for target, arch, edition in downloads]})
    return Manifest.from_json("https://example.test/full.json", {"versions": entries})


RHEL9 = detect_platform(os_release=OS_RELEASES["rhel-9.3"], machine="x86_64", system="Linux")
AMAZON2_ARM = detect_platform(os_release=OS_RELEASES["amazon2"], machine="aarch64", system="Linux")


def test_manifest_picks_the_newest_production_release_of_a_series_for_this_platform():
    manifest = manifest_of(
        ("7.0.14", True, [("rhel90", "x86_64", "targeted"), ("rhel93", "x86_64", "targeted"),
                          ("rhel93", "x86_64", "enterprise")]),
        ("7.0.15-rc0", False, [("rhel93", "x86_64", "targeted")]),
        ("7.0.12", True, [("rhel90", "x86_64", "targeted")]),
        ("8.0.1", True, [("rhel93", "x86_64", "targeted")]),
    )
    chosen = manifest.pick(VersionRequest.parse("7.0"), RHEL9)
    assert (chosen.version, chosen.target, chosen.edition) == ("7.0.14", "rhel93", "targeted")
    assert manifest.pick(VersionRequest.parse("latest"), RHEL9).version == "8.0.1"
    assert manifest.pick(VersionRequest.parse("7.0.15-rc0"), RHEL9).version == "7.0.15-rc0"  # exact: any release
    rhel90 = detect_platform(os_release=OS_RELEASES["rhel-9.3"].replace("9.3", "9.0"), machine="x86_64",
                             system="Linux")
    assert manifest.pick(VersionRequest.parse("7.0"), rhel90).target == "rhel90"  # 9.0 cannot run a 9.3 build
    with pytest.raises(NoArchive, match="lists no MongoDB 5.0 release"):
        manifest.pick(VersionRequest.parse("5.0"), RHEL9)


def test_manifest_arm_linux_archives_say_aarch64_and_missing_targets_are_listed():
    manifest = manifest_of(("7.0.14", True, [("amazon2", "aarch64", "targeted"), ("ubuntu2204", "aarch64", "targeted"),
                                             ("amazon2023", "x86_64", "targeted")]))
    assert manifest.pick(VersionRequest.parse("7.0"), AMAZON2_ARM).arch == "aarch64"
    with pytest.raises(NoArchive) as missing:
        manifest.pick(VersionRequest.parse("7.0"), RHEL9)
    assert "has no archive for rhel9 x86_64" in missing.value.what and "it is built for: amazon2023" in missing.value.what


def test_a_file_that_is_not_a_manifest_is_one_clear_error():
    with pytest.raises(ShardsmithError, match='is not a MongoDB release manifest'):
        Manifest.from_json("https://example.test/x.json", {"releases": []})


@pytest.mark.parametrize("written, version, image", [
    ('"7.0"', "7.0", "mongo:7.0"), ("7.0", "7.0", "mongo:7.0"), ('"8.0.4"', "8.0.4", "mongo:8.0"),
    ("8.0.4", "8.0.4", "mongo:8.0"), ("latest", "latest", "mongo:latest"),
])
def test_spec_versions(written, version, image):
    mongodb = parse_topology(f"name: v\nmongodb: {{version: {written}}}\nreplica_set: {{members: 1}}\n").mongodb
    assert (mongodb.version, mongodb.image) == (version, image)


def test_a_bad_spec_version_names_the_three_forms():
    with pytest.raises(SpecError) as refused:
        parse_topology("name: v\nmongodb: {version: \"7\"}\nreplica_set: {members: 1}\n", "v.yaml")
    assert 'must be MAJOR.MINOR such as "7.0", an exact release such as "8.0.4", or "latest"; got \'7\'' \
        in str(refused.value)
