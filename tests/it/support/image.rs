//! A small but real image: an uncompressed tar layer, a config whose diff_id matches it, a manifest and an index.
//! `docker pull` can unpack it, and its bytes are ours, so no test depends on Docker Hub.

use sha2::{Digest as _, Sha256};

pub const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";

pub struct Image {
    pub repository: String,
    pub tag: String,
    pub index: Vec<u8>,
    pub manifest: Vec<u8>,
    pub config: Vec<u8>,
    pub layer: Vec<u8>,
}

pub fn sha(bytes: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(bytes)))
}

impl Image {
    /// `layer_size` bytes of deterministic, incompressible-looking content in one file, so throughput is real.
    pub fn new(repository: &str, tag: &str, layer_size: usize) -> Self {
        Self::built(repository, tag, layer_size, "2026-11-02T08:00:00Z")
    }

    /// The same, with the config's `created` time.
    pub fn built(repository: &str, tag: &str, layer_size: usize, created: &str) -> Self {
        let mut content = Vec::with_capacity(layer_size);
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        while content.len() < layer_size {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            content.extend_from_slice(&x.to_le_bytes());
        }
        content.truncate(layer_size);
        let mut builder = tar::Builder::new(Vec::new());
        let mut header = tar::Header::new_gnu();
        header.set_size(content.len() as u64);
        header.set_mode(0o644);
        header.set_mtime(1_700_000_000);
        header.set_cksum();
        builder
            .append_data(
                &mut header,
                "mirrorctl-test/payload.bin",
                content.as_slice(),
            )
            .unwrap();
        let layer = builder.into_inner().unwrap();
        let config = serde_json::to_vec(&serde_json::json!({
            "architecture": "amd64", "os": "linux", "created": created,
            "config": {"Cmd": ["/bin/true"]},
            "rootfs": {"type": "layers", "diff_ids": [sha(&layer)]},
        }))
        .unwrap();
        let manifest = serde_json::to_vec(&serde_json::json!({
            "schemaVersion": 2, "mediaType": OCI_MANIFEST,
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": sha(&config), "size": config.len()},
            "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": sha(&layer), "size": layer.len()}],
        }))
        .unwrap();
        let index = serde_json::to_vec(&serde_json::json!({
            "schemaVersion": 2, "mediaType": OCI_INDEX,
            "manifests": [
                {"mediaType": OCI_MANIFEST, "digest": sha(&manifest), "size": manifest.len(),
                 "platform": {"os": "linux", "architecture": "amd64"}},
            ],
        }))
        .unwrap();
        Self {
            repository: repository.into(),
            tag: tag.into(),
            index,
            manifest,
            config,
            layer,
        }
    }

    /// Writes an OCI image layout, which `skopeo copy oci:DIR:TAG` reads.
    pub fn write_oci_layout(&self, dir: &std::path::Path) {
        let blobs = dir.join("blobs/sha256");
        std::fs::create_dir_all(&blobs).unwrap();
        for b in [&self.index, &self.manifest, &self.config, &self.layer] {
            std::fs::write(blobs.join(&sha(b)[7..]), b).unwrap();
        }
        std::fs::write(dir.join("oci-layout"), br#"{"imageLayoutVersion":"1.0.0"}"#).unwrap();
        let top = serde_json::json!({
            "schemaVersion": 2,
            "manifests": [{"mediaType": OCI_INDEX, "digest": sha(&self.index), "size": self.index.len(),
                           "annotations": {"org.opencontainers.image.ref.name": self.tag}}],
        });
        std::fs::write(dir.join("index.json"), serde_json::to_vec(&top).unwrap()).unwrap();
    }
}
