/// The version of the Switchboard tool and library, written into every model file.
public enum SwitchboardVersion {
    /// The current version string.
    public static let current = "0.1.0"
}
