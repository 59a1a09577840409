using System.ComponentModel.DataAnnotations;
using Banking.ServiceDefaults.Security;

namespace Banking.Foundation.Tests.ServiceDefaults;

/// <summary><c>Jwt:SigningKeyFile</c>: the key platform.sh generates, read from its file and checked at start.</summary>
public sealed class JwtSigningKeyFile_Specs
{
    private string folder = null!;

    [SetUp]
    public void MakeFolder() => folder = Directory.CreateTempSubdirectory("banking-jwt-").FullName;

    [TearDown]
    public void RemoveFolder() => Directory.Delete(folder, recursive: true);

    private static List<string> Problems(JwtOptions jwt)
    {
        var results = new List<ValidationResult>();
        Validator.TryValidateObject(jwt, new ValidationContext(jwt), results, validateAllProperties: true);
        return results.Select(r => r.ErrorMessage!).ToList();
    }

    private string KeyFile(string content)
    {
        var path = Path.Combine(folder, "jwt-signing-key");
        File.WriteAllText(path, content);
        return path;
    }

    [Test]
    public void The_key_is_the_files_content_without_the_trailing_newline()
    {
        var jwt = new JwtOptions { Issuer = "banking", Audience = "banking-api", SigningKeyFile = KeyFile(new string('k', 64) + "\n") };
        Assert.That(Problems(jwt), Is.Empty);
        Assert.That(jwt.SharedKey(), Is.EqualTo(new string('k', 64)));
    }

    [Test]
    public void A_missing_file_or_a_short_key_stops_the_service_at_start()
    {
        Assert.That(Problems(new JwtOptions { Issuer = "i", Audience = "a", SigningKeyFile = Path.Combine(folder, "absent") }), Has.Some.Contains("cannot be read"));
        Assert.That(Problems(new JwtOptions { Issuer = "i", Audience = "a", SigningKeyFile = KeyFile("short") }), Has.Some.Contains("at least 32 bytes"));
    }

    [Test]
    public void Outside_Development_a_key_and_a_key_file_together_are_refused_in_Development_the_file_wins()
    {
        var both = new JwtOptions { Issuer = "i", Audience = "a", SigningKey = new string('d', 40), SigningKeyFile = KeyFile(new string('f', 64)) };
        both.ApplyEnvironment(isDevelopment: false);
        Assert.That(Problems(both), Has.Some.Contains("not both"));

        var development = new JwtOptions { Issuer = "i", Audience = "a", SigningKey = new string('d', 40), SigningKeyFile = KeyFile(new string('f', 64)) };
        development.ApplyEnvironment(isDevelopment: true);
        Assert.That(Problems(development), Is.Empty);
        Assert.That(development.SharedKey(), Is.EqualTo(new string('f', 64)), "the development key from appsettings.Development.json gives way");
    }
}
