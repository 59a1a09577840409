# One image recipe for the four services: docker-compose.yml passes SERVICE (the project's name, e.g. Banking.Gateway).
# Build context: the repository root.
ARG SERVICE

FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
ARG SERVICE
WORKDIR /src
COPY global.json Directory.Build.props Directory.Packages.props ./
COPY shared/ shared/
COPY services/${SERVICE}/ services/${SERVICE}/
RUN dotnet publish services/${SERVICE}/${SERVICE}.csproj -c Release -o /app --no-self-contained

FROM mcr.microsoft.com/dotnet/aspnet:10.0 AS runtime
ARG SERVICE
WORKDIR /app
COPY --from=build /app ./
# The image's built-in unprivileged user: a compromised service cannot write outside its own files.
USER $APP_UID
ENV SERVICE_DLL=${SERVICE}.dll \
    ASPNETCORE_URLS=http://+:8080 \
    MASSTRANSIT_USAGE_TELEMETRY=false \
    DOTNET_gcServer=1
EXPOSE 8080
# `exec` makes the service PID 1, so the stop signal reaches it and its exit code reaches the supervisor.
ENTRYPOINT ["/bin/sh", "-c", "exec dotnet \"$SERVICE_DLL\" \"$@\"", "service"]
