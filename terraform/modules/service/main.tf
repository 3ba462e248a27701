data "aws_region" "current" {}

locals {
  topology_path = "/tmp/regions.json"
  # The services read the topology from a file (Topology:Path); Fargate has no host files, so the entry point writes the
  # SSM parameter's value, given as an environment variable, to that file and then becomes the service.
  start_command = "printf '%s' \"$AIMOVIEZ_REGIONS_JSON\" > ${local.topology_path} && exec ${var.executable}"
  secrets       = merge(var.secrets, { AIMOVIEZ_REGIONS_JSON = var.topology_parameter_arn })
}

resource "aws_cloudwatch_log_group" "this" {
  name              = "/aimoviez/${var.name}"
  retention_in_days = var.log_retention_days
}

data "aws_iam_policy_document" "assume_ecs_tasks" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["ecs-tasks.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "execution" {
  name_prefix        = "${substr(var.name, 0, 24)}-x"
  assume_role_policy = data.aws_iam_policy_document.assume_ecs_tasks.json
}

resource "aws_iam_role_policy_attachment" "execution" {
  role       = aws_iam_role.execution.name
  policy_arn = "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"
}

data "aws_iam_policy_document" "read_secrets" {
  dynamic "statement" {
    for_each = { for kind, arns in {
      ssm            = [for arn in values(local.secrets) : arn if strcontains(arn, ":ssm:")]
      secretsmanager = [for arn in values(local.secrets) : arn if strcontains(arn, ":secretsmanager:")]
    } : kind => arns if length(arns) > 0 }
    content {
      actions   = statement.key == "ssm" ? ["ssm:GetParameters"] : ["secretsmanager:GetSecretValue"]
      resources = statement.value
    }
  }
}

resource "aws_iam_role_policy" "read_secrets" {
  name   = "read-configuration"
  role   = aws_iam_role.execution.id
  policy = data.aws_iam_policy_document.read_secrets.json
}

resource "aws_ecs_task_definition" "this" {
  family                   = var.name
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = var.cpu
  memory                   = var.memory
  execution_role_arn       = aws_iam_role.execution.arn

  runtime_platform {
    operating_system_family = "LINUX"
    cpu_architecture        = "X86_64"
  }

  container_definitions = jsonencode([{
    name         = var.name
    image        = var.image
    essential    = true
    entryPoint   = ["/bin/sh", "-c"]
    command      = [local.start_command]
    portMappings = [{ containerPort = var.port, protocol = "tcp" }]
    # Without ASPNETCORE_URLS a service would listen where the topology says it is reached (a load balancer's name).
    environment = [for k, v in merge(var.environment, { Topology__Path = local.topology_path, ASPNETCORE_URLS = "http://+:${var.port}" }) : { name = k, value = v }]
    secrets     = [for k, arn in local.secrets : { name = k, valueFrom = arn }]
    # Long enough for in-flight votes to finish and be published after SIGTERM.
    stopTimeout = 30
    logConfiguration = {
      logDriver = "awslogs"
      options = {
        awslogs-group         = aws_cloudwatch_log_group.this.name
        awslogs-region        = data.aws_region.current.name
        awslogs-stream-prefix = var.name
      }
    }
  }])
}

resource "aws_ecs_service" "this" {
  name                              = var.name
  cluster                           = var.cluster_arn
  task_definition                   = aws_ecs_task_definition.this.arn
  launch_type                       = "FARGATE"
  desired_count                     = var.scaling.min
  health_check_grace_period_seconds = length(var.target_group_arns) > 0 ? 60 : null

  network_configuration {
    subnets          = var.subnet_ids
    security_groups  = var.security_group_ids
    assign_public_ip = false
  }

  dynamic "load_balancer" {
    for_each = var.target_group_arns
    content {
      target_group_arn = load_balancer.value
      container_name   = var.name
      container_port   = var.port
    }
  }

  deployment_circuit_breaker {
    enable   = true
    rollback = true
  }

  lifecycle {
    # The autoscaler owns the running count.
    ignore_changes = [desired_count]
  }
}

resource "aws_appautoscaling_target" "this" {
  count              = var.scaling.max > var.scaling.min ? 1 : 0
  service_namespace  = "ecs"
  scalable_dimension = "ecs:service:DesiredCount"
  resource_id        = "service/${element(split("/", var.cluster_arn), 1)}/${aws_ecs_service.this.name}"
  min_capacity       = var.scaling.min
  max_capacity       = var.scaling.max
}

resource "aws_appautoscaling_policy" "cpu" {
  count              = length(aws_appautoscaling_target.this)
  name               = "${var.name}-cpu"
  policy_type        = "TargetTrackingScaling"
  service_namespace  = aws_appautoscaling_target.this[0].service_namespace
  scalable_dimension = aws_appautoscaling_target.this[0].scalable_dimension
  resource_id        = aws_appautoscaling_target.this[0].resource_id

  target_tracking_scaling_policy_configuration {
    target_value       = var.scaling.target_cpu_percent
    scale_out_cooldown = 30
    scale_in_cooldown  = 300
    predefined_metric_specification {
      predefined_metric_type = "ECSServiceAverageCPUUtilization"
    }
  }
}
