resource "aws_security_group" "lb" {
  name_prefix = "${var.name}-lb-"
  vpc_id      = var.vpc_id
  description = "${var.name} load balancer"

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_vpc_security_group_ingress_rule" "listener" {
  for_each          = toset(flatten([for cidr in var.allowed_cidrs : [for port in var.internal ? [var.listen_port] : [80, 443] : "${cidr}|${port}"]]))
  security_group_id = aws_security_group.lb.id
  cidr_ipv4         = split("|", each.value)[0]
  from_port         = tonumber(split("|", each.value)[1])
  to_port           = tonumber(split("|", each.value)[1])
  ip_protocol       = "tcp"
}

resource "aws_vpc_security_group_egress_rule" "targets" {
  security_group_id = aws_security_group.lb.id
  cidr_ipv4         = data.aws_vpc.this.cidr_block
  from_port         = var.target_port
  to_port           = var.target_port
  ip_protocol       = "tcp"
}

data "aws_vpc" "this" {
  id = var.vpc_id
}

resource "aws_lb" "this" {
  name                       = var.name
  load_balancer_type         = "application"
  internal                   = var.internal
  subnets                    = var.subnet_ids
  security_groups            = [aws_security_group.lb.id]
  idle_timeout               = var.idle_timeout_seconds
  drop_invalid_header_fields = true
  # The load balancer adds the address it saw as the last X-Forwarded-For entry, the one the edges take from a trusted
  # proxy (ForwardLimit 1); what a client wrote before it is ignored.
  xff_header_processing_mode = "append"
}

resource "aws_lb_target_group" "this" {
  name_prefix          = substr(replace(var.name, "-", ""), 0, 6)
  port                 = var.target_port
  protocol             = "HTTP"
  target_type          = "ip"
  vpc_id               = var.vpc_id
  deregistration_delay = 30

  health_check {
    path                = var.health_check_path
    matcher             = "200"
    interval            = 10
    timeout             = 5
    healthy_threshold   = 2
    unhealthy_threshold = 2
  }

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_lb_listener" "http" {
  load_balancer_arn = aws_lb.this.arn
  port              = var.internal ? var.listen_port : 80
  protocol          = "HTTP"

  default_action {
    type             = var.internal ? "forward" : "redirect"
    target_group_arn = var.internal ? aws_lb_target_group.this.arn : null

    dynamic "redirect" {
      for_each = var.internal ? [] : [1]
      content {
        port        = "443"
        protocol    = "HTTPS"
        status_code = "HTTP_301"
      }
    }
  }
}

resource "aws_lb_listener" "https" {
  count             = var.internal ? 0 : 1
  load_balancer_arn = aws_lb.this.arn
  port              = 443
  protocol          = "HTTPS"
  ssl_policy        = "ELBSecurityPolicy-TLS13-1-2-2021-06"
  certificate_arn   = var.certificate_arn

  default_action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.this.arn
  }
}
