output "service_name" {
  description = "The ECS service's name."
  value       = aws_ecs_service.this.name
}

output "log_group" {
  description = "The service's CloudWatch log group."
  value       = aws_cloudwatch_log_group.this.name
}
