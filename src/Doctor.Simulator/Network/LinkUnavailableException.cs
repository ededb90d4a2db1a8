namespace Doctor.Simulator.Network;

/// <summary>Network namespaces cannot be made here; <see cref="Exception.Message"/> says why in one line.</summary>
public sealed class LinkUnavailableException(string reason) : Exception(reason);
