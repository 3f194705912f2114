//! Which cloud this machine runs in, from DMI (`/sys/class/dmi/id/sys_vendor`, `product_name`) — never from a
//! metadata endpoint, which would be a request off the machine. A cloud's own mirror serves only its machines.

use std::path::PathBuf;

/// `aliyun`, `tencent` or `huawei`, as the catalogue's `region` names them.
pub fn detect() -> Option<&'static str> {
    let dir = std::env::var_os("MIRRORCTL_DMI_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/sys/class/dmi/id"));
    let read = |f: &str| std::fs::read_to_string(dir.join(f)).unwrap_or_default();
    classify(&read("sys_vendor"), &read("product_name"))
}

/// The DMI strings each cloud's virtual machines report.
pub fn classify(vendor: &str, product: &str) -> Option<&'static str> {
    let text = format!("{vendor} {product}").to_ascii_lowercase();
    if text.contains("alibaba cloud") || text.contains("aliyun") {
        Some("aliyun")
    } else if text.contains("tencent cloud") || text.contains("tencentcloud") {
        Some("tencent")
    } else if text.contains("huaweicloud") || text.contains("huawei cloud") {
        Some("huawei")
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn each_clouds_dmi_strings() {
        use super::classify;
        assert_eq!(
            classify("Alibaba Cloud\n", "Alibaba Cloud ECS\n"),
            Some("aliyun")
        );
        assert_eq!(classify("Tencent Cloud\n", "CVM\n"), Some("tencent"));
        assert_eq!(classify("HUAWEICLOUD\n", "c7.large.2\n"), Some("huawei"));
        assert_eq!(
            classify("QEMU\n", "Standard PC (i440FX + PIIX, 1996)\n"),
            None
        );
        assert_eq!(classify("", ""), None);
    }
}
