/// The release, shown by `varsel --version` and in the Debian package.
public enum VarselVersion {
    public static let string = "0.6.0"
}
