/// A device configuration no other known visitor shares, once enough
/// visitors are known for rarity to mean something.
extension Detectors {
    static let rarePopulationMinimum = 1000

    static let rareDevice = Detector("rareDevice") { c in
        guard let p = c.lookPopulation, p.total >= rarePopulationMinimum, p.same <= 1 else { return [] }
        return [Finding(.rareDevice, flag: "rare_device", strength: 0.3)]
    }
}
