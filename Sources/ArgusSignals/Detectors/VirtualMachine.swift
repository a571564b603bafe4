/// Software or virtual GPUs: SwiftShader, llvmpipe, VMware/VirtualBox/
/// Parallels/Hyper-V adapters. A desktop with no WebGL at all also suggests
/// a virtual display (spec §8a), at lower strength; neither makes a bot.
extension Detectors {
    static let virtualRenderers = [
        "SwiftShader", "llvmpipe", "softpipe", "VMware", "SVGA3D", "VirtualBox", "Parallels", "Microsoft Basic Render",
        "Hyper-V", "QXL", "virgl", "Virtio", "Red Hat", "Mesa OffScreen",
    ]

    static let virtualMachine = Detector("virtualMachine") { c in
        if let r = c.components.webglRenderer {
            return virtualRenderers.contains { r.has($0) }
                ? [Finding(.virtualMachine, flag: "virtual_machine", detail: "software_renderer")] : []
        }
        let noWebGL = c.components["webglRenderer"] != nil || c.components.raw["webglRenderer"]?.isNull == true
        guard noWebGL, !c.isMobileUA, c.uaEngine == "chromium" else { return [] }
        return [Finding(.virtualMachine, flag: "virtual_machine", strength: 0.6, detail: "no_webgl")]
    }
}
