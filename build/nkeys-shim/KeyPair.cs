namespace NATS.NKeys;

/// <summary>Stand-in for the real NKey key pair; every member refuses, so NKey/JWT auth fails loudly instead of silently.</summary>
public sealed class KeyPair : IDisposable
{
    private const string NotAvailable = "NKey/JWT authentication is not available in this build";

    private KeyPair()
    {
    }

    public static KeyPair FromSeed(ReadOnlySpan<char> seed) => throw new NotSupportedException(NotAvailable);

    public void Sign(ReadOnlyMemory<byte> input, Memory<byte> output) => throw new NotSupportedException(NotAvailable);

    public string GetPublicKey() => throw new NotSupportedException(NotAvailable);

    public void Dispose()
    {
    }
}
