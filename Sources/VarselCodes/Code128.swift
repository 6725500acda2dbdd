/// Code 128 (ISO/IEC 15417) in code set C, which writes two digits a symbol character: the
/// symbology of the Finnish bank barcode's 54 digits.
///
/// A symbol is: Start C (105), one character per pair of digits (its value is the pair, 00–99), the
/// check character, and Stop. The check character is the start value plus each data value times
/// its position (1, 2, …), mod 103. Every character is three bars and three spaces, 11 modules wide;
/// Stop is four bars and three spaces, 13 modules wide.
public enum Code128 {
    /// The widths (in modules) of bar, space, bar, space, bar, space of the characters 0…105, and of
    /// Stop (106: a fourth bar), as ISO/IEC 15417 tabulates them.
    static let patterns: [[UInt8]] = [
        "212222", "222122", "222221", "121223", "121322", "131222", "122213", "122312", "132212", "221213",
        "221312", "231212", "112232", "122132", "122231", "113222", "123122", "123221", "223211", "221132",
        "221231", "213212", "223112", "312131", "311222", "321122", "321221", "312212", "322112", "322211",
        "212123", "212321", "232121", "111323", "131123", "131321", "112313", "132113", "132311", "211313",
        "231113", "231311", "112133", "112331", "132131", "113123", "113321", "133121", "313121", "211331",
        "231131", "213113", "213311", "213131", "311123", "311321", "331121", "312113", "312311", "332111",
        "314111", "221411", "431111", "111224", "111422", "121124", "121421", "141122", "141221", "112214",
        "112412", "122114", "122411", "142112", "142211", "241211", "221114", "413111", "241112", "134111",
        "111242", "121142", "121241", "114212", "124112", "124211", "411212", "421112", "421211", "212141",
        "214121", "412121", "111143", "111341", "131141", "114113", "114311", "411113", "411311", "113141",
        "114131", "311141", "411131", "211412", "211214", "211232", "2331112",
    ].map { $0.utf8.map { $0 - 0x30 } }

    static let startC = 105
    static let stop = 106

    /// The symbol characters' values for `digits` in code set C: Start C, the pairs, the check
    /// character; Stop not included. Nil unless `digits` is a non-empty, even number of ASCII digits.
    public static func values(digits: String) -> [Int]? {
        let bytes = Array(digits.utf8)
        guard !bytes.isEmpty, bytes.count % 2 == 0, bytes.allSatisfy({ (0x30...0x39).contains($0) }) else { return nil }
        var values = [startC]
        for index in stride(from: 0, to: bytes.count, by: 2) {
            values.append(Int(bytes[index] - 0x30) * 10 + Int(bytes[index + 1] - 0x30))
        }
        values.append(checkValue(values))
        return values
    }

    /// The check character for `values` (the start character first): the start value plus each
    /// further value times its position, mod 103.
    public static func checkValue(_ values: [Int]) -> Int {
        var sum = values.first ?? 0
        for (position, value) in values.enumerated().dropFirst() { sum += position * value }
        return sum % 103
    }

    /// The symbol as modules from left to right, `true` for bar, with `quietZone` light modules on
    /// either side (ISO/IEC 15417 asks for at least 10); nil as for `values(digits:)`.
    public static func modules(digits: String, quietZone: Int = 10) -> [Bool]? {
        guard let values = values(digits: digits) else { return nil }
        var modules = [Bool](repeating: false, count: quietZone)
        for value in values + [stop] {
            for (index, width) in patterns[value].enumerated() {
                modules += [Bool](repeating: index % 2 == 0, count: Int(width))
            }
        }
        modules += [Bool](repeating: false, count: quietZone)
        return modules
    }
}
