extension HeadRegistry {
    /// The registered head whose checkpoints carry `architecture` in config.json's
    /// `architectures` (architectures are unique among registered heads), or nil.
    public static func descriptor(forArchitecture architecture: String) -> HeadDescriptor? {
        all.first { $0.architecture == architecture }
    }
}
