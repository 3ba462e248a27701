using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using NATS.Client.Core;

namespace AiMoviez.ServiceDefaults;

/// <summary>
/// How a service proves itself to every region's NATS: configuration section <c>Nats</c>, with at most one of
/// <c>CredentialsFile</c> (a decentralized-auth <c>.creds</c> file: user JWT and NKey seed) or <c>NKeyFile</c> (a file
/// holding a user NKey seed and its public key, as <c>nk -gen user -pubout</c> prints them). Neither: no authentication,
/// as the local stack runs. The files are read at connect, so a rotated file is used on the next reconnect.
/// </summary>
public static class NatsCredentials
{
    public const string Section = "Nats";

    /// <summary>The authentication options named by configuration; a missing file or two kinds at once stop the process.</summary>
    public static NatsAuthOpts FromConfiguration(IConfiguration configuration)
    {
        var credentialsFile = Setting(configuration, "CredentialsFile");
        var nkeyFile = Setting(configuration, "NKeyFile");
        if (credentialsFile is not null && nkeyFile is not null)
        {
            throw new OptionsValidationException(Section, typeof(NatsAuthOpts),
                [$"{Section}:CredentialsFile and {Section}:NKeyFile are exclusive: set one."]);
        }

        return NatsAuthOpts.Default with { CredsFile = credentialsFile, NKeyFile = nkeyFile };
    }

    private static string? Setting(IConfiguration configuration, string name)
    {
        var path = configuration[$"{Section}:{name}"];
        if (string.IsNullOrWhiteSpace(path))
        {
            return null;
        }

        return File.Exists(path)
            ? path
            : throw new OptionsValidationException(Section, typeof(NatsAuthOpts), [$"{Section}:{name}: no file at '{path}'."]);
    }
}
