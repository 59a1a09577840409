using System.Security.Claims;
using System.Text;
using Banking.ServiceDefaults.Security;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Banking.Gateway.Security;

/// <summary>
/// <c>dotnet run --project services/Banking.Gateway -- token --role channel [--client-no C0001] [--minutes 60]</c>
/// prints a token signed with the configured HS256 key, so the README's curl examples work: in Development the
/// development key (or a <c>Jwt:SigningKeyFile</c>); in any other environment only with a key configured there
/// (deploy/local/platform.sh token sets the local platform's key file), since whoever can read that key can mint
/// tokens anyway. The committed development key never signs anything outside Development.
/// </summary>
public static class TokenCommand
{
    public static bool IsRequested(string[] args) => args.Length > 0 && args[0] == "token";

    public static int Run(string[] args, IConfiguration configuration, IHostEnvironment environment, TextWriter output, TextWriter error)
    {
        var jwt = configuration.GetSection(JwtOptions.Section).Get<JwtOptions>() ?? new JwtOptions();
        jwt.ApplyEnvironment(environment.IsDevelopment());
        if (!environment.IsDevelopment() && !jwt.UsesSharedKey)
        {
            error.WriteLine($"The token command needs the signing key outside the Development environment (this is '{environment.EnvironmentName}'): " +
                            "set Jwt__SigningKeyFile (deploy/local/platform.sh token does). Otherwise tokens come from the bank's identity provider.");
            return 3;
        }

        var roles = new List<string>();
        string? clientNo = null, subject = null;
        var minutes = 60;
        for (var i = 1; i < args.Length; i++)
        {
            string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            try
            {
                switch (args[i])
                {
                    case "--role": roles.Add(Value()); break;
                    case "--client-no": clientNo = Value(); break;
                    case "--subject": subject = Value(); break;
                    case "--minutes" when int.TryParse(Value(), out var m) && m is > 0 and <= 24 * 60: minutes = m; break;
                    case "--minutes": throw new ArgumentException("--minutes must be 1 to 1440");
                    default: throw new ArgumentException($"unknown argument '{args[i]}'");
                }
            }
            catch (ArgumentException e)
            {
                return Usage(error, e.Message);
            }
        }

        if (roles.Count == 0) return Usage(error, "--role is required");
        if (roles.FirstOrDefault(r => !Roles.All.Contains(r)) is { } unknown) return Usage(error, $"unknown role '{unknown}'");
        if (roles.Contains(Roles.Customer) && string.IsNullOrEmpty(clientNo)) return Usage(error, "a customer token needs --client-no");

        var problems = new List<System.ComponentModel.DataAnnotations.ValidationResult>();
        if (!System.ComponentModel.DataAnnotations.Validator.TryValidateObject(jwt, new(jwt), problems, validateAllProperties: true) || !jwt.UsesSharedKey)
        {
            error.WriteLine("The signing key is not usable: " + (problems.Count > 0 ? string.Join("; ", problems.Select(p => p.ErrorMessage)) : "Jwt:SigningKey or Jwt:SigningKeyFile (32+ bytes) is not configured"));
            return 4;
        }

        output.WriteLine(Issue(jwt, roles, clientNo, TimeSpan.FromMinutes(minutes), subject));
        return 0;
    }

    /// <summary>An HS256 token with the claims the gateway reads: sub, name, role (one per role), client_no.</summary>
    public static string Issue(JwtOptions jwt, IEnumerable<string> roles, string? clientNo, TimeSpan lifetime, string? subject = null, DateTime? notBeforeUtc = null)
    {
        var roleList = roles.ToList();
        subject ??= clientNo is not null ? $"client:{clientNo}" : $"dev-{string.Join('-', roleList)}";
        var claims = new List<Claim> { new(BankingClaims.Subject, subject), new(BankingClaims.Name, subject), new(BankingClaims.AuthMethod, "jwt") };
        claims.AddRange(roleList.Select(role => new Claim(BankingClaims.Role, role)));
        if (clientNo is not null) claims.Add(new Claim(BankingClaims.ClientNo, clientNo));

        var notBefore = notBeforeUtc ?? DateTime.UtcNow;
        var descriptor = new SecurityTokenDescriptor
        {
            Issuer = jwt.Issuer,
            Audience = jwt.Audience,
            Subject = new ClaimsIdentity(claims),
            NotBefore = notBefore,
            IssuedAt = notBefore,
            Expires = notBefore + lifetime,
            SigningCredentials = new SigningCredentials(new SymmetricSecurityKey(Encoding.UTF8.GetBytes(jwt.SharedKey())), SecurityAlgorithms.HmacSha256),
        };
        return new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false }.CreateToken(descriptor);
    }

    private static int Usage(TextWriter error, string problem)
    {
        error.WriteLine($"token: {problem}");
        error.WriteLine("usage: token --role customer|channel|operator|auditor|admin [--role ...] [--client-no NO] [--minutes N] [--subject NAME]");
        return 2;
    }
}
