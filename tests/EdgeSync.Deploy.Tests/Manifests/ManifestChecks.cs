using k8s.Models;

namespace EdgeSync.Deploy.Tests.Manifests;

/// <summary>What every agent StatefulSet must have, whether read from the base or from a kustomize build.</summary>
internal static class ManifestChecks
{
    public static void AgentStatefulSet(V1StatefulSet set, V1Service headless, string expectedStorageClass, string? expectedImage = null)
    {
        var spec = set.Spec;
        Assert.Equal("sqlite-edge", set.Metadata.Name);
        Assert.Equal(headless.Metadata.Name, spec.ServiceName);
        Assert.Equal("None", headless.Spec.ClusterIP);
        var podLabels = spec.Template.Metadata.Labels;
        Assert.All(spec.Selector.MatchLabels, kv => Assert.Equal(kv.Value, podLabels[kv.Key]));
        Assert.All(headless.Spec.Selector, kv => Assert.Equal(kv.Value, podLabels[kv.Key]));

        var pod = spec.Template.Spec;
        Assert.True(pod.TerminationGracePeriodSeconds >= 60, "the grace period must cover a WAL checkpoint");
        Assert.True(pod.SecurityContext.RunAsNonRoot);
        Assert.Equal("RuntimeDefault", pod.SecurityContext.SeccompProfile.Type);

        var agent = pod.Containers.Single(c => c.Name == "edgesync");
        Assert.False(string.IsNullOrWhiteSpace(agent.Image));
        if (expectedImage is not null)
        {
            Assert.Equal(expectedImage, agent.Image);
            Assert.Equal(expectedImage, pod.InitContainers.Single(c => c.Name == "init-db").Image);
        }

        var ports = agent.Ports.ToDictionary(p => p.Name, p => p.ContainerPort);
        Assert.Equal(5000, ports["sync"]);
        Assert.Equal(8080, ports["http"]);
        Assert.Equal(["sync", "http"], headless.Spec.Ports.Select(p => p.TargetPort.Value).ToArray());
        Assert.Contains("--peer-dns", agent.Args);
        Assert.Equal($"{headless.Metadata.Name}:5000", agent.Args[agent.Args.IndexOf("--peer-dns") + 1]);

        Assert.Equal("/healthz/ready", agent.StartupProbe.HttpGet.Path);
        Assert.Equal("/healthz/ready", agent.ReadinessProbe.HttpGet.Path);
        Assert.Equal("/healthz/live", agent.LivenessProbe.HttpGet.Path);
        Assert.True(agent.LivenessProbe.PeriodSeconds * agent.LivenessProbe.FailureThreshold >= 60, "liveness must be conservative");
        Assert.True(agent.StartupProbe.PeriodSeconds * agent.StartupProbe.FailureThreshold >= 120, "startup must allow WAL recovery");
        Assert.NotNull(agent.Resources.Requests["memory"]);
        Assert.NotNull(agent.Resources.Limits["memory"]);

        foreach (var container in pod.Containers.Concat(pod.InitContainers))
        {
            Assert.True(container.SecurityContext.ReadOnlyRootFilesystem, $"{container.Name}: read-only root filesystem");
            Assert.False(container.SecurityContext.AllowPrivilegeEscalation, container.Name);
            Assert.Equal(["ALL"], container.SecurityContext.Capabilities.Drop);
            Assert.Contains(container.VolumeMounts, m => m.Name == "sqlite-data" && m.MountPath == "/data");
            Assert.Contains(container.VolumeMounts, m => m.MountPath == "/tmp");
        }

        var env = agent.Env.ToDictionary(e => e.Name);
        Assert.Equal("$(EDGESYNC_CLUSTER_ID)/$(POD_NAME)", env["EDGESYNC_SITE"].Value);
        Assert.Equal("metadata.name", env["POD_NAME"].ValueFrom.FieldRef.FieldPath);
        foreach (var (variable, key) in new[] { ("EDGESYNC_CLUSTER_ID", "cluster_id"), ("EDGESYNC_REGION", "region"), ("EDGESYNC_NODE_COUNT", "node_count"), ("EDGESYNC_STORAGE_CLASS", "storage_class") })
        {
            Assert.Equal("edge-cluster-config", env[variable].ValueFrom.ConfigMapKeyRef.Name);
            Assert.Equal(key, env[variable].ValueFrom.ConfigMapKeyRef.Key);
        }

        // $(VAR) expands only variables defined earlier in the list.
        var names = agent.Env.Select(e => e.Name).ToList();
        Assert.True(names.IndexOf("POD_NAME") < names.IndexOf("EDGESYNC_SITE") && names.IndexOf("EDGESYNC_CLUSTER_ID") < names.IndexOf("EDGESYNC_SITE"));

        MutualTls(pod, agent);

        var claim = spec.VolumeClaimTemplates.Single();
        Assert.Equal("sqlite-data", claim.Metadata.Name);
        Assert.Equal(expectedStorageClass, claim.Spec.StorageClassName);
        Assert.Equal(["ReadWriteOnce"], claim.Spec.AccessModes);
        Assert.NotNull(claim.Spec.Resources.Requests["storage"]);
    }

    /// <summary>
    /// The sync port is https with the site certificate, key and fleet CA from the Secret edgesync-tls (cert-manager's
    /// key names), ingest needs the token from the Secret edgesync-ingest-token, and probes stay plain HTTP on 8080.
    /// </summary>
    private static void MutualTls(V1PodSpec pod, V1Container agent)
    {
        string Arg(string flag)
        {
            int i = agent.Args.IndexOf(flag);
            Assert.True(i >= 0 && i + 1 < agent.Args.Count, $"the agent has no {flag} flag");
            return agent.Args[i + 1];
        }

        Assert.Equal("https://0.0.0.0:5000", Arg("--listen"));
        Assert.Equal("http://0.0.0.0:8080", Arg("--http-listen"));
        var tls = pod.Volumes.Single(v => v.Name == "tls").Secret;
        Assert.Equal("edgesync-tls", tls.SecretName);
        Assert.Equal(["ca.crt", "tls.crt", "tls.key"], tls.Items.Select(i => i.Key).Order(StringComparer.Ordinal));
        Assert.Equal(Convert.ToInt32("440", 8), tls.DefaultMode);
        var token = pod.Volumes.Single(v => v.Name == "ingest-token").Secret;
        Assert.Equal("edgesync-ingest-token", token.SecretName);
        var mounts = agent.VolumeMounts.ToDictionary(m => m.Name);
        Assert.True(mounts["tls"].ReadOnlyProperty);
        Assert.True(mounts["ingest-token"].ReadOnlyProperty);
        foreach (var (flag, key) in new[] { ("--tls-cert", "tls.crt"), ("--tls-key", "tls.key"), ("--tls-ca", "ca.crt") })
        {
            Assert.Equal($"{mounts["tls"].MountPath}/{tls.Items.Single(i => i.Key == key).Path}", Arg(flag));
        }

        Assert.Equal($"{mounts["ingest-token"].MountPath}/{token.Items.Single(i => i.Key == "token").Path}", Arg("--token-file"));
        Assert.All(new[] { agent.StartupProbe, agent.ReadinessProbe, agent.LivenessProbe }, p => Assert.True(p.HttpGet.Scheme is null or "HTTP"));
        Assert.All(new[] { agent.StartupProbe, agent.ReadinessProbe, agent.LivenessProbe }, p => Assert.Equal("http", p.HttpGet.Port.Value));
    }
}
